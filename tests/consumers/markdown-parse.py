"""Parses a Markdown report as CommonMark with GitHub's tables (markdown-it-py, with raw
HTML recognised as GitHub recognises it) and prints what a reader sees, as JSON: each
table's rows as the text of their cells, the text of every paragraph, list item and
heading, how many HTML, link, image and code tokens there were, and where the links go."""

import json
import sys

from markdown_it import MarkdownIt

text = open(sys.argv[1], encoding="utf-8").read()
md = MarkdownIt("commonmark", {"html": True}).enable("table")
tokens = md.parse(text)
tables, row, texts = [], None, []
counts = {"html": 0, "link": 0, "image": 0, "code": 0}
hrefs = []


def inline_text(token):
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        if child.type == "html_inline":
            counts["html"] += 1
        if child.type == "link_open":
            counts["link"] += 1
            hrefs.append(child.attrs.get("href", ""))
        if child.type == "image":
            counts["image"] += 1
        if child.type == "code_inline":
            counts["code"] += 1
    return "".join(out)


for token in tokens:
    if token.type == "table_open":
        tables.append([])
    elif token.type == "tr_open":
        row = []
    elif token.type == "tr_close":
        tables[-1].append(row)
        row = None
    elif token.type == "html_block":
        counts["html"] += 1
    elif token.type in ("code_block", "fence"):
        counts["code"] += 1
    elif token.type == "inline":
        content = inline_text(token)
        if row is not None:
            row.append(content)
        else:
            texts.append(content)
print(json.dumps({"tables": tables, "texts": texts, "hrefs": hrefs, **counts}, ensure_ascii=False))
