from django.core.management.base import BaseCommand, CommandError

from jiannuo.core import audit


class Command(BaseCommand):
    help = "Audit log tools. 'audit verify' checks the whole hash chain."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, action, **options):
        result = audit.verify()
        if result.ok:
            self.stdout.write(f"OK: the audit chain holds ({result.checked} entries checked).")
            return
        what = {
            "link": "does not link to the entry before it (an entry was deleted or edited)",
            "content": "was edited: its content does not match its hash",
            "tail": "the newest entries were deleted",
        }[result.reason]
        raise CommandError(
            f"BROKEN at audit entry #{result.broken_id}: it {what}. "
            f"{result.checked} entries before it are intact."
        )
