"""The contracts of the Wet inburgering chain: envelope profile, event catalogue, resource
views and the access policy. Installable on its own (``pip install ./contracts``)."""
