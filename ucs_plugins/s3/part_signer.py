"""Part URLs signed with AWS Signature Version 4 in query form, without the boto3 client's per-call work.

generate_presigned_url resolves the endpoint, runs the client's event hooks and builds a request model for
every URL: about 190 microseconds, most of the cost of a part URL, where a batch of 1,000 parts should
cost a few milliseconds. A part's URL differs from its neighbours' only in partNumber, so this signer
derives the day's signing key once and signs each part's canonical request with one HMAC (AWS's
"Authenticating Requests: Using Query Parameters"). The URL is the one boto3 gives for the same second:
tests/unit/test_s3_part_signer.py compares the two, and the contract suite stores parts through these
URLs on SeaweedFS, which checks signatures.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from ucs.storage import PresignedRequest

ALGORITHM = "AWS4-HMAC-SHA256"
DEFAULT_PORTS = {"http": 80, "https": 443}


class PartSigner:
    def __init__(self, session, endpoint_url: str, bucket: str, region: str):
        self._session = session
        parts = urlsplit(endpoint_url)
        # botocore signs the host without a port the scheme implies.
        self._host = parts.hostname if parts.port in (None, DEFAULT_PORTS.get(parts.scheme)) else parts.netloc
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._bucket_path = f"{parts.path.rstrip('/')}/{_encoded(bucket, safe='')}"
        self._region = region
        self._keys: dict[tuple[str, str], bytes] = {}

    def available(self) -> bool:
        """Whether the session holds credentials to sign with (else boto3's own path reports the problem)."""
        return self._session.get_credentials() is not None

    def sign(
        self, key: str, upload_id: str, part_nos: Sequence[int], expires_in: int
    ) -> list[PresignedRequest]:
        # Frozen once per batch: refreshable credentials (an instance role) must not change mid-batch.
        credentials = self._session.get_credentials().get_frozen_credentials()
        now = datetime.now(UTC)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        scope = f"{amz_date[:8]}/{self._region}/s3/aws4_request"
        signing_key = self._signing_key(credentials.secret_key, amz_date[:8])
        path = f"{self._bucket_path}/{_encoded(key, safe='/~')}"
        common = {
            "X-Amz-Algorithm": ALGORITHM,
            "X-Amz-Credential": f"{credentials.access_key}/{scope}",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(expires_in),
            "X-Amz-SignedHeaders": "host",
            "uploadId": upload_id,
        }
        if credentials.token:
            common["X-Amz-Security-Token"] = credentials.token
        expires_at = now + timedelta(seconds=expires_in)
        signed = []
        for part_no in part_nos:
            query = "&".join(
                f"{_encoded(name)}={_encoded(value)}"
                for name, value in sorted({**common, "partNumber": str(part_no)}.items())
            )
            canonical = f"PUT\n{path}\n{query}\nhost:{self._host}\n\nhost\nUNSIGNED-PAYLOAD"
            digest = hashlib.sha256(canonical.encode()).hexdigest()
            to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
            signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
            url = f"{self._origin}{path}?{query}&X-Amz-Signature={signature}"
            signed.append(PresignedRequest(url=url, method="PUT", expires_at=expires_at))
        return signed

    def _signing_key(self, secret: str, day: str) -> bytes:
        """The key for one day, region and service: four HMACs, kept for the day (and the secret)."""
        cached = self._keys.get((secret, day))
        if cached is None:
            cached = ("AWS4" + secret).encode()
            for part in (day, self._region, "s3", "aws4_request"):
                cached = hmac.new(cached, part.encode(), hashlib.sha256).digest()
            self._keys = {(secret, day): cached}  # one entry: yesterday's key is of no further use
        return cached


def _encoded(text: str, safe: str = "-_.~") -> str:
    # SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ (and / in key paths) percent-encoded.
    return quote(text, safe=safe)
