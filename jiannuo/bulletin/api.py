"""JSON API of the public bulletin board (seed §三.4): the same reads as the public pages."""

from ninja import Router

router = Router(tags=["bulletin"])
