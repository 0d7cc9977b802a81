"""JSON API of the supervision step: the same services and permissions as the pages."""

from ninja import Router

router = Router(tags=["supervision"])
