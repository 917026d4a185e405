"""A runtime that answers its first invocation twice and records the Runtime API's statuses
in the file named by ANSWERS_FILE, to show the second answer is refused. With RESPONSE_MODE
set, the first answer carries it as its Lambda-Runtime-Function-Response-Mode."""
import json
import os
import urllib.error
import urllib.request

API = 'http://{}/2018-06-01/runtime'.format(os.environ['AWS_LAMBDA_RUNTIME_API'])


def post(path, body, headers=None):
    request = urllib.request.Request(API + path, data=body, headers=headers or {}, method='POST')
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


while True:
    with urllib.request.urlopen(API + '/invocation/next') as next_reply:
        request_id = next_reply.headers['Lambda-Runtime-Aws-Request-Id']
        content_type = next_reply.headers['Content-Type']
        event = next_reply.read()
    mode = os.environ.get('RESPONSE_MODE')
    first_headers = {'Lambda-Runtime-Function-Response-Mode': mode} if mode is not None else {}
    first = post('/invocation/{}/response'.format(request_id), b'"first"', first_headers)
    second = post('/invocation/{}/response'.format(request_id), b'"second"')
    # Written aside and renamed, so the test never reads a half-written file.
    partial = os.environ['ANSWERS_FILE'] + '.partial'
    with open(partial, 'w') as out:
        json.dump({'statuses': [first, second], 'content_type': content_type, 'event': json.loads(event)}, out)
    os.replace(partial, os.environ['ANSWERS_FILE'])
