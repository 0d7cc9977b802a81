"""``jiannuo supervision_digest [--day YYYY-MM-DD]``: build each user's daily digest of
supervision reminders (§五.3), in-app and by e-mail where the server has an e-mail host."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from jiannuo.supervision.services import digest_build


class Command(BaseCommand):
    help = "Build the daily digest of supervision reminders for every user."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="the day (YYYY-MM-DD); today by default")

    def handle(self, *args, **options):
        day = None
        if options.get("day"):
            try:
                day = date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError(f"not a date: {options['day']}") from exc
        made = digest_build(day=day)
        self.stdout.write(f"{len(made)} digests")
