"""The contracts of the Wet inburgering chain: envelope profile, event catalogue, resource
views and the access policy. Installable on its own (``pip install ./contracts``).

Modules: ``parties`` (roles), ``envelope`` (NL GOV CloudEvents profile), ``classification``
(field tags), ``resources`` (resource models), ``events`` (catalogue and data models),
``policy`` (may_receive, may_read, view_model), ``validation``, ``render``, ``versioning``,
``cli``.
"""
