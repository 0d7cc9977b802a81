"""JSON API of the evaluation step: the same services and permissions as the pages."""

from ninja import Router

router = Router(tags=["evaluation"])
