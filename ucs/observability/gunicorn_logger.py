"""gunicorn's logger, minus its access log: UCS writes one line per request itself (ucs/observability/request_log.py).

gunicorn builds an access-log record for every request whenever a logging dict config is set, as UCS's
is, even with `accesslog` unset; that record was a few percent of a part URL's time, for a line nobody
reads.
"""

from gunicorn import glogging


class Logger(glogging.Logger):
    # A property on gunicorn's Logger, which protocol handlers ask before building log data.
    access_log_enabled = False

    def access(self, resp, req, environ, request_time) -> None:
        """Nothing: the request was logged by UCS."""
