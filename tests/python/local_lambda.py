"""boto3's Lambda client for a local Lambda: any credentials, one attempt, generous reads."""
import boto3
from botocore.config import Config


def client(endpoint):
    """A Lambda client whose every call goes to `endpoint` (http://127.0.0.1:PORT)."""
    return boto3.client(
        'lambda',
        endpoint_url=endpoint,
        region_name='us-east-1',
        aws_access_key_id='local',
        aws_secret_access_key='local',
        config=Config(retries={'max_attempts': 1}, read_timeout=60, connect_timeout=5),
    )
