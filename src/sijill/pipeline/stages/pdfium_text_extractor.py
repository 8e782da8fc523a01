"""Text layer of PDFs, page by page (pypdfium2); pages without usable text go to OCR."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pypdfium2 as pdfium

from sijill.errors import InputRejected
from sijill.pipeline.stage import ItemInfo, Stage, StageContext, StageResult, TextUnitOut

# Keys of the PDF Info dictionary worth keeping as evidence (pdfium names them this way).
_INFO_KEYS = (
    "Title",
    "Author",
    "Subject",
    "Keywords",
    "Creator",
    "Producer",
    "CreationDate",
    "ModDate",
)


_ALNUM = re.compile(r"[^\W_]")
# Replacement character, private-use and unassigned-looking code points from broken fonts.
_GARBAGE = re.compile("[\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff]")


def usable(text: str, min_chars: int) -> bool:
    """Whether a text layer is worth keeping: enough letters/digits, not mostly garbage.

    Broken font encodings give replacement or private-use characters; such pages are OCR'd.
    """
    bad = len(_GARBAGE.findall(text))
    if bad == 0 and len(_ALNUM.findall(text, 0, 4 * min_chars + 200)) >= min_chars:
        return True  # the usual case, decided on the start of the page
    good = len(_ALNUM.findall(text))
    return good >= min_chars and bad <= good * 0.1


class PdfiumTextExtractor(Stage):
    name = "pdfium_text_extractor"
    version = 1
    description = "per-page text layer of PDFs; lists pages that need OCR"
    mimes: ClassVar[frozenset[str]] = frozenset({"application/pdf"})
    defaults: ClassVar[dict[str, Any]] = {"min_chars": 20, "max_pages": 10_000}
    config_help: ClassVar[dict[str, str]] = {
        "min_chars": "letters/digits a page's text layer needs to count as text (else OCR)",
        "max_pages": "longest PDF whose text is read; a longer one is refused with its reason",
    }
    timeout_s = 900

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        return item.mime in self.mimes

    def run(self, ctx: StageContext) -> StageResult:
        min_chars = int(ctx.config["min_chars"])
        try:
            pdf = pdfium.PdfDocument(str(ctx.input_path))
        except pdfium.PdfiumError as exc:
            msg = str(exc)
            if "password" in msg.lower():
                raise InputRejected(
                    "the PDF is encrypted with a password; its text cannot be read",
                    status="encrypted",
                ) from exc
            raise InputRejected(f"the PDF cannot be read ({msg})", status="invalid") from exc
        try:
            n_pages = len(pdf)
            limit = int(ctx.config["max_pages"])
            if n_pages > limit:
                # A 50,000-page PDF would hold a worker for hours and fill the catalog.
                raise InputRejected(
                    f"the PDF has {n_pages} pages, over the limit of {limit} "
                    f"(raise it with `sijill case config CASE {self.name}.max_pages=N`)",
                    status="rejected",
                )
            info = {
                k: v for k, v in pdf.get_metadata_dict(skip_empty=True).items() if k in _INFO_KEYS
            }
            meta: dict[str, Any] = {"pages": n_pages, "version": pdf.get_version(), "info": info}
            units: list[TextUnitOut] = []
            ocr_pages: list[int] = []
            for i in range(n_pages):
                page = pdf[i]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_bounded()
                    finally:
                        textpage.close()
                finally:
                    page.close()
                text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
                if usable(text, min_chars):
                    units.append(
                        TextUnitOut(kind="page", page=i + 1, text=text, method="text_layer")
                    )
                else:
                    ocr_pages.append(i + 1)
        finally:
            pdf.close()
        return StageResult(
            data={"pages": n_pages, "text_pages": len(units), "ocr_pages": ocr_pages},
            text_units=units,
            metadata={"pdf": meta},
            item_info={"page_count": n_pages},
        )
