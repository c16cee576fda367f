"""A sample webhook subscriber: the gemeente's inbox for the chain's thin notifications."""
