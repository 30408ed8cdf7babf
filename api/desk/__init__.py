"""The supervisor's desk: card histories in the browser, every proof checked by the
server, in Chinese or English (``/ui``). It only reads: a session signs in with a
supervisor's or an administrator's key and can take no step on any card."""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI

from api.desk import cards, routes, views
from api.desk.render import Desk, SignInFirst, Trouble, in_the_desk, to_sign_in, trouble_page

__all__ = ["DESK_ROUTERS", "Desk", "mount_desk"]

DESK_ROUTERS: Final = (routes.router, cards.router, views.router)
"""Every router of the desk's pages."""


def mount_desk(app: FastAPI, desk: Desk) -> None:
    """Serve the desk's pages on ``app``, its sessions kept by ``desk``; a problem the
    app answers on a desk page (the database away, a path no page has) is a page too."""
    app.state.desk = desk
    for router in DESK_ROUTERS:
        app.include_router(router)
    for error, handler in list(app.exception_handlers.items()):
        if isinstance(error, type):
            app.add_exception_handler(error, in_the_desk(handler))
    app.add_exception_handler(Trouble, trouble_page)
    app.add_exception_handler(SignInFirst, to_sign_in)
