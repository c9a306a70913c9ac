#!/usr/bin/env python3
"""Acknowledges ("done") everything waiting in the inboxes of the given tokens' agencies (scripts/bench-disk.sh):
one keep-alive HTTPS connection per agency, pages of 1,000. Usage: bench_ack_all.py HUB_URL CA_FILE TOKEN…"""
import http.client, json, ssl, sys, urllib.parse

hub, ca, tokens = sys.argv[1], sys.argv[2], sys.argv[3:]
url = urllib.parse.urlparse(hub)
context = ssl.create_default_context(cafile=ca)
total = 0
for token in tokens:
    connection = http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=30)
    headers = {"Authorization": "Bearer " + token}
    while True:
        connection.request("GET", "/v1/inbox?kind=edoc&limit=1000", headers=headers)
        items = json.loads(connection.getresponse().read()).get("items", [])
        if not items:
            break
        for item in items:
            connection.request("POST", f"/v1/inbox/{item['messageId']}/ack", body=b'{"outcome":"done"}',
                               headers={**headers, "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                sys.exit(f"ack of {item['messageId']}: HTTP {response.status}")
            total += 1
    connection.close()
print(f"   acknowledged {total} deliveries", file=sys.stderr)
