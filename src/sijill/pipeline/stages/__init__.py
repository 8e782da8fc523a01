"""Built-in stages, registered through the `sijill.stages` entry point like any plugin."""

from __future__ import annotations

from sijill.pipeline.stage import Stage


def builtin_stages() -> list[Stage]:
    """The built-in stages; `Registry.ordered()` sorts them by their `after` declarations."""
    from sijill.pipeline.stages.claim_extractor import ClaimExtractor
    from sijill.pipeline.stages.container_unpacker import ContainerUnpacker
    from sijill.pipeline.stages.email_unpacker import EmailUnpacker
    from sijill.pipeline.stages.entity_extractor import EntityExtractor
    from sijill.pipeline.stages.exiftool_metadata import ExiftoolMetadata
    from sijill.pipeline.stages.ffmpeg_normaliser import FfmpegNormaliser
    from sijill.pipeline.stages.ffprobe_metadata import FfprobeMetadata
    from sijill.pipeline.stages.office_text_extractor import OfficeTextExtractor
    from sijill.pipeline.stages.pdfium_text_extractor import PdfiumTextExtractor
    from sijill.pipeline.stages.pdq_hasher import PdqHasher
    from sijill.pipeline.stages.tesseract_ocr import TesseractOcr
    from sijill.pipeline.stages.text_translator import TextTranslator
    from sijill.pipeline.stages.video_proxy import VideoProxy
    from sijill.pipeline.stages.whisper_transcriber import WhisperTranscriber

    return [
        ExiftoolMetadata(),
        FfprobeMetadata(),
        FfmpegNormaliser(),
        VideoProxy(),
        ContainerUnpacker(),
        EmailUnpacker(),
        PdfiumTextExtractor(),
        TesseractOcr(),
        PdqHasher(),
        OfficeTextExtractor(),
        WhisperTranscriber(),
        TextTranslator(),
        EntityExtractor(),
        ClaimExtractor(),
    ]
