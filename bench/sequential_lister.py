"""The audit benchmark's baseline: read a listing page after page, following
`Link: rel="next"`, as `gh api --paginate` and python-gitlab's `list(get_all=True)` do,
over one kept-alive connection (a `requests` session). Prints how many items it read.

    python3 sequential_lister.py URL HEADER VALUE
"""

import sys

import requests


def main():
    url, header, value = sys.argv[1:4]
    items = 0
    with requests.Session() as session:
        session.headers[header] = value
        while url:
            answer = session.get(url, timeout=30)
            answer.raise_for_status()
            items += len(answer.json())
            url = answer.links.get("next", {}).get("url")
    print(items)


if __name__ == "__main__":
    main()
