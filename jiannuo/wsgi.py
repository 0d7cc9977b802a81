import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings")
application = get_wsgi_application()

# Well-formed phone ballots skip the page middleware (see jiannuo/evaluation/intake.py).
from jiannuo.evaluation.intake import dispatch  # noqa: E402  (needs django.setup() above)

application = dispatch(application)

# Over-nested JSON is refused before the ballot lane or Django parses it (jiannuo/core/guards.py).
from jiannuo.core.guards import json_depth_guard  # noqa: E402

application = json_depth_guard(application)
