"""A runtime that answers function URL events by their path, with what a function URL turns
into an HTTP response: `/created` a response object (201, headers, two cookies, a base64
body), `/text` a JSON string, `/boom` a function error, `/bad-status` a response object whose
status is no HTTP status; anything else the event itself (JSON without a statusCode)."""
import base64
import json
import os
import urllib.request

API = 'http://{}/2018-06-01/runtime'.format(os.environ['AWS_LAMBDA_RUNTIME_API'])


def post(path, body, headers=None):
    request = urllib.request.Request(API + path, data=json.dumps(body).encode(), method='POST',
                                     headers=headers or {})
    urllib.request.urlopen(request).read()


while True:
    with urllib.request.urlopen(API + '/invocation/next') as reply:
        request_id = reply.headers['Lambda-Runtime-Aws-Request-Id']
        event = json.loads(reply.read())
    answer = '/invocation/{}/response'.format(request_id)
    path = event.get('rawPath')
    if path == '/created':
        post(answer, {
            'statusCode': 201,
            'headers': {'Content-Type': 'application/octet-stream', 'X-Custom': 'yes'},
            'cookies': ['a=1; Max-Age=60', 'b=2'],
            'body': base64.b64encode(b'\x00\x01binary').decode(),
            'isBase64Encoded': True,
        })
    elif path == '/text':
        post(answer, 'Hello, world!')
    elif path == '/boom':
        post('/invocation/{}/error'.format(request_id),
             {'errorMessage': 'boom', 'errorType': 'Boom'},
             {'Lambda-Runtime-Function-Error-Type': 'Function.Boom'})
    elif path == '/bad-status':
        post(answer, {'statusCode': 1000})
    else:
        post(answer, event)
