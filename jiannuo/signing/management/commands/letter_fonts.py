"""Cut the compact Chinese fonts the official letters use (``signing.pdfwrite.build_fonts``).

Run once per server after installing (about 20 s of CPU); the first large PDF batch does it
otherwise. Letters print correctly without them, only slower and larger.
"""

from django.core.management.base import BaseCommand

from jiannuo.signing import pdfwrite


class Command(BaseCommand):
    help = "Build the compact fonts of the printed letters (GB 2312 cut of Noto CJK and UKai)."

    def handle(self, *args, **options):
        built = pdfwrite.build_fonts()
        for path in built:
            self.stdout.write(f"built {path} ({path.stat().st_size // 1024} KB)")
        if pdfwrite.fonts_ready():
            self.stdout.write(self.style.SUCCESS(f"fonts ready in {pdfwrite.FONT_DIR}"))
        else:
            self.stdout.write(self.style.WARNING("system fonts not found: letters use fallbacks"))
