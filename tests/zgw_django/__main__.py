"""``python -m tests.zgw_django <directory> <command> '<json arguments>'``: one action of the
Common Ground component (``tests.zgw_django``), through notifications-api-common's and
zgw-consumers' own code; prints a JSON result on stdout.

Commands:

- ``service`` ``{label, api_root, client_id, secret}``: the zgw-consumers ``Service`` (auth
  type ZGW) for the Notificaties API, made ``NotificationsConfig``'s service.
- ``auth`` ``{}``: the ``Authorization`` value the component gives an abonnement for its
  callback (as ``Subscription.register`` builds it: ``Bearer`` + the service's ZGW token).
- ``abonneer`` ``{callback_url, kanalen: [{naam, filters}]}``: ``NotificationsConfig``'s client
  posts the abonnement (with kenmerken filters, which ``Subscription.register`` cannot set).
- ``registreer`` ``{identifier, callback_url, channels}``: ``Subscription.register()``.
- ``publiceer`` ``{message}``: the ``send_notification`` task, run in this process.
- ``kanalen`` ``{}``: ``GET kanaal`` through the client.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.zgw_django import configure


def run(command: str, args: dict[str, Any]) -> Any:
    from notifications_api_common.models import NotificationsConfig, Subscription
    from notifications_api_common.tasks import send_notification
    from zgw_consumers.client import ZGWAuth
    from zgw_consumers.constants import APITypes, AuthTypes
    from zgw_consumers.models import Service

    if command == "service":
        service, _ = Service.objects.update_or_create(
            slug=args["label"],
            defaults={
                "label": args["label"],
                "api_type": APITypes.nrc,
                "api_root": args["api_root"],
                "auth_type": AuthTypes.zgw,
                "client_id": args["client_id"],
                "secret": args["secret"],
            },
        )
        config = NotificationsConfig.get_solo()
        config.notifications_api_service = service
        config.save()
        return {"service": service.label, "api_root": service.api_root}
    service = NotificationsConfig.get_solo().notifications_api_service
    assert service is not None, "run the service command first"
    if command == "auth":
        return {"auth": f"Bearer {ZGWAuth(service)._token}"}
    if command == "abonneer":
        client = NotificationsConfig.get_client()
        assert client is not None
        body = {
            "callbackUrl": args["callback_url"],
            "auth": f"Bearer {ZGWAuth(service)._token}",
            "kanalen": args["kanalen"],
        }
        response = client.post("abonnement", json=body)
        return {"status": response.status_code, "body": response.json(), "auth": body["auth"]}
    if command == "registreer":
        subscription = Subscription.objects.create(
            identifier=args["identifier"],
            callback_url=args["callback_url"],
            client_id=service.client_id,
            secret=service.secret[:50],
            channels=args["channels"],
        )
        subscription.register()
        subscription.refresh_from_db()
        return {"url": subscription._subscription}
    if command == "publiceer":
        send_notification(args["message"])  # raises on a refusal (NotificationException)
        return {"verstuurd": True}
    if command == "kanalen":
        client = NotificationsConfig.get_client()
        assert client is not None
        response = client.get("kanaal")
        return {"status": response.status_code, "body": response.json()}
    raise SystemExit(f"unknown command {command!r}")


def main(argv: list[str]) -> None:
    directory, command, raw = argv
    configure(Path(directory))
    json.dump(run(command, json.loads(raw)), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
