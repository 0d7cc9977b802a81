"""Demo data of the signing step (§三.4–5): 柳树村's approved letters of the demo's current year
(``jiannuo.demo.clock``) are signed at a ceremony held on 20 February of that year, with
attendance, votes, signatures and custody receipts."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from jiannuo.core.system import system_user
from jiannuo.organisation.models import Person, Post
from jiannuo.pledges.models import Letter, LetterVersion

from . import rules, services
from .models import Custody

YEAR = 2026  # the demo's current year, set by ``load``
WHEN = datetime(2026, 2, 20, 9, 0)  # the ceremony: 20 February of the current year


def load(units: dict) -> None:
    from jiannuo.demo import clock

    global YEAR, WHEN
    YEAR = clock().year
    WHEN = datetime(YEAR, 2, 20, 9, 0)
    village = units["柳树村"]
    letters = list(
        Letter.objects.filter(village=village, year=YEAR, state="approved").select_related(
            "term", "post__person"
        )
    )
    if not letters:
        return
    actor = system_user()
    ceremony = services.ceremony_schedule(
        actor=actor,
        village=village,
        term=letters[0].term,
        year=YEAR,
        scheduled_at=timezone.make_aware(WHEN),
        place="柳树村村民委员会会议室",
        notes="各村干部逐一宣读承诺书，与会党员和村民代表逐项讨论。",
    )
    ceremony = services.ceremony_hold(actor=actor, ceremony=ceremony)
    invitees = list(services.invitees(village, WHEN.date()).prefetch_related("posts"))
    present = invitees[: max(3, len(invitees) * 4 // 5)]
    for person in present:
        services.attendance_checkin(actor=actor, ceremony=ceremony, person=person)
    n = len(present)
    party = [p for p in present if any(x.kind == Post.PARTY_MEMBER for x in p.posts.all())]
    reps = [p for p in present if any(x.kind == Post.REPRESENTATIVE for x in p.posts.all())]
    for letter in letters:
        services.vote_record(
            actor=actor, ceremony=ceremony, letter=letter, for_=n - 1, against=0, abstain=1
        )
        version = LetterVersion.objects.get(letter=letter, number=letter.current_number)
        required = services.required_for(letter)
        cadre = letter.post.person_id if letter.post_id else None
        for req in required:
            person = None
            if req.person_id is not None and req.person_id != services.DEPUTY_KEY:
                person = Person.objects.get(pk=req.person_id)
            elif req.role == rules.PARTY_MEMBER_REP:
                person = next(p for p in party if p.pk != cadre)
            elif req.role == rules.VILLAGER_REP:
                person = next(p for p in reps if p.pk != cadre)
            services.sign(
                actor=actor,
                version=version,
                role=req.role,
                person=person,
                content_hash=version.content_hash,
                consent_publication=True,
            )
    services.ceremony_close(actor=actor, ceremony=ceremony)
    for copy in Custody.objects.filter(signed_letter__letter__village=village):
        services.custody_receipt(actor=actor, copy=copy)
