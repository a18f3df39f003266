"""``vigie web``: the staff queue in a browser and the JSON API for scripts.

An ASGI app on Starlette, served by uvicorn: ``app`` builds it, ``auth`` knows who is
asking (session cookie or API token) and checks CSRF tokens, ``pages`` and ``api`` parse a
request, call the same services as the ``vigie`` command and render, ``events`` pushes
every change of a ticket to open pages (server-sent events). Its libraries are the
``vigie[web]`` extra: nothing else in the bridge imports this package.
"""
