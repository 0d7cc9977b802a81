"""Lists that scale: every list of /api/v1 is paginated with django-ninja's own
``LimitOffsetPagination`` (``?limit=…&offset=…``, answer ``{"items": […], "count": n}``) in a
stable order (ascending id unless the operation says otherwise).

``Mapped`` lets an operation keep its ``_x_out(obj)`` function while the page is cut from the
queryset in the database: only ``limit`` rows are read, and ``count`` is one ``COUNT(*)``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable

from django.http import Http404
from ninja.pagination import LimitOffsetPagination, paginate

from jiannuo.core.permissions import has_perm
from jiannuo.organisation.models import Unit

__all__ = ["Mapped", "Paginated", "paginated", "unit_path"]


class Paginated(LimitOffsetPagination):
    """The pagination class of every list: ``limit`` (1–``NINJA_PAGINATION_MAX_LIMIT``, default
    ``NINJA_PAGINATION_PER_PAGE``) and ``offset``. An offset at or past the end answers no
    items without asking the database for them (an offset beyond its integers would fail)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        count = self._items_count(queryset)
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        items = queryset[offset : offset + limit] if offset < count else []
        return {self.items_attribute: items, "count": count}


def paginated(view):
    """``@paginate(LimitOffsetPagination)`` for a view of a module with postponed annotations:
    the wrapper lives in ninja's module, where this module's names (``LetterState``) would not
    resolve, so the view's annotations are resolved here first."""
    view.__annotations__ = typing.get_type_hints(view, include_extras=True)
    return paginate(Paginated)(view)


class Mapped:
    """A queryset whose page goes through ``page_fn`` once sliced: ``Mapped(qs, fn)[0:100]``
    is ``fn(list(qs[0:100]))`` — one function for the page, so it can fetch what the rows need
    in a fixed number of queries. ``Mapped.each(qs, f)`` maps row by row."""

    def __init__(self, queryset, page_fn: Callable[[list], list]):
        self.queryset = queryset
        self.fn = page_fn

    @classmethod
    def each(cls, queryset, fn: Callable):
        return cls(queryset, lambda rows: [fn(x) for x in rows])

    def all(self):
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.fn(list(self.queryset[key]))
        return self.fn([self.queryset[key]])[0]


def unit_path(unit_id: int | None, user=None, *perms: str) -> str | None:
    """The materialised path of the unit to filter by (``?unit_id=``), or None. 404 if there
    is no such unit, or if ``user`` holds none of ``perms`` over it (a unit outside the
    caller's scope, as for any other object). Results are still limited to that scope."""
    if unit_id is None:
        return None
    unit = Unit.objects.filter(pk=unit_id).only("path").first()
    if unit is None or (user is not None and not any(has_perm(user, p, unit) for p in perms)):
        raise Http404
    return unit.path
