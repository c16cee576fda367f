"""notificatie-router: subscriptions, policy-checked delivery, retries, dead letters, replay."""
