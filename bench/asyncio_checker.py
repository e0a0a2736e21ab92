"""The benchmark's baseline: a hand-written asyncio token checker (aiohttp, 64 requests in
flight), the program a platform team would write instead of adopting patlint.

It does the same work per token as patlint does for the benchmark's policy: one request to
the token's own endpoint, a refusal is a failure, and a working token fails if its host says
it has a forbidden scope; then each of its targets is read at once, and a target that refuses
it fails it. It reads the tokens as JSON (a list of {name, host, url, secret, forbid,
targets}) and prints {name: "pass" | "fail" | "error"} as JSON.

    python3 asyncio_checker.py TOKENS.json [--ca-file PEM]
"""

import asyncio
import base64
import json
import ssl
import sys

import aiohttp

IN_FLIGHT = 64


async def targets(session, token, headers, verdict):
    """Reads every target at once; a refusal fails the token, another answer is an error."""

    async def read(url):
        async with session.get(url, headers=headers) as answer:
            await answer.read()
            return answer.status

    statuses = await asyncio.gather(*(read(url) for url in token["targets"]))
    if verdict == "fail" or any(s in (401, 403, 404) for s in statuses):
        return "fail"
    if any(s != 200 for s in statuses):
        return "error"
    return verdict


async def github(session, token):
    headers = {
        "Authorization": f"Bearer {token['secret']}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    async with session.get(f"{token['url']}/user", headers=headers) as answer:
        await answer.read()
        if answer.status == 401:
            return "fail"
        if answer.status != 200:
            return "error"
        scopes = {s.strip() for s in answer.headers.get("X-OAuth-Scopes", "").split(",")}
        verdict = "fail" if scopes & set(token["forbid"]) else "pass"
    return await targets(session, token, headers, verdict)


async def gitlab(session, token):
    headers = {"PRIVATE-TOKEN": token["secret"]}
    url = f"{token['url']}/api/v4/personal_access_tokens/self"
    async with session.get(url, headers=headers) as answer:
        body = await answer.json(content_type=None)
        if answer.status == 401:
            return "fail"
        if answer.status != 200 or not body.get("active") or body.get("revoked"):
            return "fail" if answer.status == 200 else "error"
        return "fail" if set(body.get("scopes", [])) & set(token["forbid"]) else "pass"


async def azure_devops(session, token):
    basic = base64.b64encode(f":{token['secret']}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
    async with session.get(f"{token['url']}/_apis/connectionData", headers=headers) as answer:
        body = await answer.json(content_type=None)
        if answer.status in (401, 203):
            return "fail"
        if answer.status != 200:
            return "error"
        if not body.get("authenticatedUser", {}).get("id"):
            return "fail"
    return await targets(session, token, headers, "pass")


CHECKS = {"github": github, "gitlab": gitlab, "azure-devops": azure_devops}


async def check_all(tokens, ca_file):
    ssl_context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT, ssl=ssl_context)
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(token):
            async with in_flight:
                try:
                    return token["name"], await CHECKS[token["host"]](session, token)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    return token["name"], "error"

        return dict(await asyncio.gather(*(one(t) for t in tokens)))


def main():
    args = sys.argv[1:]
    ca_file = None
    if "--ca-file" in args:
        at = args.index("--ca-file")
        ca_file = args[at + 1]
        del args[at : at + 2]
    with open(args[0]) as file:
        tokens = json.load(file)
    print(json.dumps(asyncio.run(check_all(tokens, ca_file))))


if __name__ == "__main__":
    main()
