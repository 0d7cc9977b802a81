from django.core.management.base import BaseCommand, CommandError

from jiannuo.core import audit

WHAT = {
    "link": "does not link to the entry before it (an entry was deleted or edited)",
    "content": "was edited: its content does not match its hash",
    "seal": "carries no valid seal: it was written or re-chained without the audit key",
    "tail": "is the head, but the newest entries were deleted or the head was moved back",
    "published": "does not match the chain head published earlier: the chain was rewritten",
}


class Command(BaseCommand):
    help = (
        "Audit log tools. 'audit verify' checks the whole hash chain, its seals, the chain "
        "heads given with --head (as printed on the boards and reports) and that the records "
        "deciding people's fates still match their last audited state. 'audit head' prints "
        "the current chain head to publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "head"])
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            dest="heads",
            metavar="#ID-HASH",
            help="a chain head someone holds (printed on a board or report); repeatable",
        )

    def handle(self, *args, action, heads, **options):
        if action == "head":
            self.stdout.write(audit.published_head() or "(empty)")
            return
        try:
            result = audit.verify(heads=heads)
        except ValueError as exc:
            raise CommandError(f"Not a chain head: {exc} (expected #ID-HASH)") from None
        if result.ok:
            self.stdout.write(
                f"OK: the audit chain holds ({result.checked} entries checked"
                + (f", {len(heads)} published head(s) found" if heads else "")
                + f"); {result.fates_checked} records match their last audited state."
            )
            return
        if result.reason == "state":
            raise CommandError(
                f"TAMPERED: {result.record} no longer matches its last audited state "
                f"(audit entry #{result.broken_id}): it was changed or deleted behind the "
                f"system's back. The audit chain itself holds ({result.checked} entries)."
            )
        raise CommandError(
            f"BROKEN at audit entry #{result.broken_id}: it {WHAT[result.reason]}. "
            f"{result.checked} entries before it are intact."
        )
