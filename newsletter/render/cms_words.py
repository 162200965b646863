"""The editor's words for the item's fields where the site speaks another language than
the model's documentation (English): a label and a hint per field."""

from __future__ import annotations

# Labels the schema's titles do not say well, by the site's language.
FIELD_LABELS = {
    "en": {
        "id": "Id",
        "image": "Picture",
        "image.src": "Picture file",
        "image.alt": "Alt text",
        "event": "Event",
        "lang": "Language",
    },
    "nb": {
        "title": "Tittel",
        "date": "Dato",
        "kicker": "Stikktittel",
        "updated": "Oppdatert",
        "id": "Id",
        "summary": "Sammendrag",
        "body": "Tekst",
        "authors": "Forfattere",
        "department": "Avdeling",
        "tags": "Emner",
        "image": "Bilde",
        "image.src": "Bildefil",
        "image.alt": "Alternativ tekst",
        "image.credit": "Kreditering",
        "image.width": "Bredde",
        "image.height": "Høyde",
        "link": "Lenke",
        "event": "Arrangement",
        "event.start": "Start",
        "event.end": "Slutt",
        "event.location": "Sted",
        "event.host": "Vert",
        "event.registration": "Påmelding",
        "featured": "Hovedsak",
        "lang": "Språk",
        "draft": "Utkast",
    },
}

# Hints in the site's language; English ones are the model's documentation itself.
FIELD_HINTS = {
    "nb": {
        "title": "Overskriften (må fylles ut).",
        "date": "Publiseringsdato og -tid (må fylles ut), i instituttets tidssone.",
        "kicker": "En kort innledning foran tittelen, f.eks. «Gjesteforelesning».",
        "updated": "Når saken sist ble endret slik at leserne bør se det; ellers datoen.",
        "id": "Sakens faste identitet; standard: filnavnet. Endres aldri.",
        "summary": "Sammendrag i ren tekst; standard: første avsnitt av teksten.",
        "body": "Saken i Markdown: tom linje gir nytt avsnitt; rå HTML vises som tekst.",
        "authors": "Navn på dem som skrev saken.",
        "department": "Avdelingen saken handler om; den får sin egen strøm.",
        "tags": "Emner; hvert emne får sin egen strøm.",
        "image": "Et bilde: fil, alternativ tekst og kreditering.",
        "image.src": "En bildefil fra mediebiblioteket (images/), eller en https-adresse.",
        "image.alt": "Hva bildet viser, for lesere som ikke ser det (må fylles ut med bilde).",
        "image.credit": "Hvem som tok bildet, f.eks. «Foto: CNIO».",
        "image.width": "Bredde i piksler for et bilde på en https-adresse; en fil måles selv.",
        "image.height": "Høyde i piksler for et bilde på en https-adresse; en fil måles selv.",
        "link": "En ekstern side med hele saken («Les mer»).",
        "event": "For forelesninger, disputaser og seminarer: start, slutt, sted, vert.",
        "event.start": "Når det starter, i instituttets tidssone.",
        "event.end": "Når det slutter; må være etter start.",
        "event.location": "Hvor det foregår.",
        "event.host": "Hvem som er vert.",
        "event.registration": "Hvor man melder seg på: en http(s)-adresse («Påmelding»).",
        "featured": "Gjør saken til hovedsaken i ukens e-post, med stort bilde.",
        "lang": "Sakens språk; standard: nettstedets.",
        "draft": "Holder saken utenfor alt som publiseres; den sjekkes likevel.",
    },
}
