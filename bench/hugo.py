"""The synthetic items as a Hugo site, built for comparison with newsletter.

The site builds what newsletter builds and no more: a page per item, the home page with
its RSS feed, and an RSS feed per tag and per department, each feed holding the newest 50
entries as ours do. The layouts are minimal and written here; the feeds use Hugo's
built-in RSS template. The items' picture files are the same files, in static/images/:
Hugo publishes them as they are, where newsletter publishes two copies of each (for the
pages and for the email), re-encoded without their metadata.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

from synthetic import PICTURE_SIZE, SyntheticItem, when, write_pictures


def write_hugo_site(site: Path, items: list[SyntheticItem], base_url: str) -> None:
    """Write the same items as a Hugo site: pages, the home feed and tag feeds, and the
    picture files they show."""
    shutil.rmtree(site, ignore_errors=True)
    content = site / "content" / "news"
    content.mkdir(parents=True)
    for relative, text in HUGO_FILES.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("BASE_URL", base_url), encoding="utf-8")
    for item in items:
        (content / f"{item.name}.md").write_text(_hugo_page(item), encoding="utf-8")
    write_pictures(site / "static", items)


HUGO_FILES = {
    # Only what newsletter builds too: a page per item, the home page and feed, and a
    # feed per tag and per department; no section, taxonomy list, sitemap or 404 pages.
    "hugo.toml": """\
baseURL = "BASE_URL"
title = "Institute for Cancer Research — News"
languageCode = "en"
timeZone = "Europe/Oslo"
uglyURLs = true
disableKinds = ["section", "taxonomy", "sitemap", "robotsTXT", "404"]
ignoreErrors = ["error-disable-taxonomy"]
rssLimit = 50
[services.rss]
limit = 50
[taxonomies]
tag = "tags"
department = "departments"
[outputs]
home = ["HTML", "RSS"]
page = ["HTML"]
term = ["RSS"]
""",
    "layouts/_default/baseof.html": """\
<!DOCTYPE html>
<html lang="{{ .Site.LanguageCode }}">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" \
href="{{ .Permalink }}">{{ end }}</head>
<body>{{ block "main" . }}{{ end }}</body>
</html>
""",
    "layouts/_default/single.html": """\
{{ define "main" }}<article>
{{ with .Params.kicker }}<p class="kicker">{{ . }}</p>{{ end }}
<h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">\
{{ .Date.Format "2 January 2006" }}</time>
{{ with .Params.image }}<figure><img src="{{ .src | absURL }}" alt="{{ .alt }}" \
width="{{ .width }}" height="{{ .height }}"><figcaption>{{ .credit }}</figcaption></figure>\
{{ end }}
{{ .Content }}
<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .Permalink }}">{{ .LinkTitle }}</a></li>\
{{ end }}</ul>
</article>{{ end }}
""",
    "layouts/_default/list.html": """\
{{ define "main" }}<h1>{{ .Site.Title }}</h1>
<ul>{{ range first 50 .Pages.ByDate.Reverse }}
<li><a href="{{ .Permalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ul>
{{ end }}
""",
}


def _hugo_page(item: SyntheticItem) -> str:
    image = item.image
    if image and "width" not in image:  # a file of images/: newsletter reads its size
        width, height = PICTURE_SIZE
        image = image | {"width": width, "height": height}
    front = {
        "title": item.title,
        "date": when(item.published) + (":00" if isinstance(item.published, datetime) else ""),
        "tags": list(item.tags),
        "departments": [item.department] if item.department else [],
        "summary": item.summary or item.body.split("\n\n", 1)[0],
        "kicker": item.kicker,
        "image": image,
        "draft": item.draft,
    }
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + item.body + "\n"
