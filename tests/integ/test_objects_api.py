"""The objects suite against a deployed stack.

    API_URL=https://<id>.execute-api.<region>.amazonaws.com/<stage> \
    BUCKET=sluice-<stage>-databucket-... python3 -m unittest tests/integ/test_objects_api.py

(SLUICE_API_URL / SLUICE_BUCKET are read too, as scripts/integ.sh exports
them.) Requests are signed with the caller's own AWS credentials (the
default botocore chain); skipped when the variables are unset.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from objects_suite import ObjectsSuite  # noqa: E402

API_URL = os.environ.get("API_URL") or os.environ.get("SLUICE_API_URL")
BUCKET = os.environ.get("BUCKET") or os.environ.get("SLUICE_BUCKET")


@unittest.skipUnless(API_URL and BUCKET, "API_URL and BUCKET are not set")
class DeployedObjectsApiTest(ObjectsSuite, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import boto3

        session = boto3.Session()
        cls.api_url = API_URL.rstrip("/")
        cls.bucket = BUCKET
        cls.region = session.region_name or "us-east-1"
        cls.credentials = session.get_credentials().get_frozen_credentials()
        cls.s3 = session.client("s3")


if __name__ == "__main__":
    unittest.main()
