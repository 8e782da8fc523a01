"""Metadata through exiftool, judged against an allow-list of structural tags.

exiftool is run with `-ee -a -u` so that embedded streams (timed GPS in video), duplicate
tags and unknown tags are all listed. Every tag it reports is a finding unless it is on the
allow-list below, which names the harmless structural tags our writers (Pillow, ffmpeg with
bit-exact flags, pikepdf) and plain cameras' pixel data produce: sizes, codecs, sample rates,
container boxes. A tag we have never seen is a finding: being wrong that way costs a look.

Some allowed tags are allowed only with a harmless value: a date must be the zero date MP4
writers put when told nothing; a handler name must be ffmpeg's generic one; an encoder name
must not carry a version number (a version narrows down whose machine made the file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

Check = Callable[[Any], bool]


def _any(_: Any) -> bool:
    return True


def _zero_date(v: Any) -> bool:
    return isinstance(v, str) and re.fullmatch(r"0000:00:00 00:00:00(Z|[+-]00:00)?", v) is not None


def _one_of(*values: Any) -> Check:
    return lambda v: v in values


def _unversioned_lavc(v: Any) -> bool:
    # "Lavc libx264" says ffmpeg made it; "Lavc59.37.100 libx264" says which build did.
    return isinstance(v, str) and re.fullmatch(r"(Lavc [a-z0-9_]+)?", v) is not None


def _binary(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("(Binary data ")


def _numberish(v: Any) -> bool:
    return isinstance(v, int | float) or (
        isinstance(v, str)
        and re.fullmatch(r"[\d .:/%x-]*(s|kbps|Mbps|bytes|ms| m)?", v) is not None
    )


_COMMON: dict[str, Check] = {
    "ExifTool:ExifToolVersion": _any,
    "File:FileType": _any,
    "File:FileTypeExtension": _any,
    "File:MIMEType": _any,
    "File:ImageWidth": _numberish,
    "File:ImageHeight": _numberish,
    "File:EncodingProcess": _any,
    "File:BitsPerSample": _numberish,
    "File:ColorComponents": _numberish,
    "File:YCbCrSubSampling": _any,
    "File:ExifByteOrder": _any,
    "Composite:ImageSize": _numberish,
    "Composite:Megapixels": _numberish,
    "Composite:AvgBitrate": _numberish,
    "Composite:Duration": _any,
    "Composite:Rotation": _numberish,
}
_JPEG: dict[str, Check] = {
    "JFIF:JFIFVersion": _numberish,
    "JFIF:ResolutionUnit": _any,
    "JFIF:XResolution": _numberish,
    "JFIF:YResolution": _numberish,
}
_PNG: dict[str, Check] = {
    f"PNG:{k}": _any
    for k in ("ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter")
} | {
    "PNG:Interlace": _any,
    "PNG:Palette": _binary,
    "PNG:Transparency": _any,
    "PNG:PixelsPerUnitX": _numberish,
    "PNG:PixelsPerUnitY": _numberish,
    "PNG:PixelUnits": _any,
    "PNG:SRGBRendering": _any,
    "PNG:Gamma": _numberish,
}
_WEBP: dict[str, Check] = {
    f"RIFF:{k}": _any
    for k in (
        "VP8Version",
        "ImageWidth",
        "ImageHeight",
        "HorizontalScale",
        "VerticalScale",
        "AlphaPreprocessing",
        "AlphaFiltering",
        "AlphaCompression",
        "WebP_Flags",
    )
}
_WAV: dict[str, Check] = {
    f"RIFF:{k}": _any
    for k in ("Encoding", "NumChannels", "SampleRate", "AvgBytesPerSec", "BitsPerSample")
}
_MP3: dict[str, Check] = {
    f"MPEG:{k}": _any
    for k in (
        "MPEGAudioVersion",
        "AudioLayer",
        "AudioBitrate",
        "SampleRate",
        "ChannelMode",
        "MSStereo",
        "IntensityStereo",
        "CopyrightFlag",
        "OriginalMedia",
        "Emphasis",
        "ModeExtension",
    )
}
_PDF: dict[str, Check] = {
    "PDF:PDFVersion": _numberish,
    "PDF:Linearized": _any,
    "PDF:PageCount": _numberish,
    # exiftool describes a page's image when the page is one picture (a rasterised page):
    # its size and encoding, nothing about where it came from.
    "PDF:EmbeddedImageWidth": _numberish,
    "PDF:EmbeddedImageHeight": _numberish,
    "PDF:EmbeddedImageColorSpace": lambda v: str(v) in ("DeviceGray", "DeviceRGB", "DeviceCMYK"),
    "PDF:EmbeddedImageFilter": lambda v: (
        str(v) in ("FlateDecode", "DCTDecode", "CCITTFaxDecode", "JBIG2Decode", "RunLengthDecode")
    ),
    # The picture itself, as exiftool's placeholder ("(Binary data N bytes, ...)"); the
    # EXIF, XMP, IPTC or GPS a JPEG carries inside is reported under its own groups (IFD0,
    # GPS, XMP-*...), which stay findings, and the PDF pass names such segments too.
    "PDF:EmbeddedImage": _binary,
}
_QT_MOVIE: dict[str, Check] = {
    "QuickTime:MajorBrand": _any,
    "QuickTime:MinorVersion": _any,
    "QuickTime:CompatibleBrands": _any,
    "QuickTime:Free": _binary,
    "QuickTime:MediaDataSize": _numberish,
    "QuickTime:MediaDataOffset": _numberish,
    "QuickTime:MediaData": _binary,
    "QuickTime:MovieHeaderVersion": _numberish,
    "QuickTime:CreateDate": _zero_date,
    "QuickTime:ModifyDate": _zero_date,
    "QuickTime:TimeScale": _numberish,
    "QuickTime:Duration": _numberish,
    "QuickTime:PreferredRate": _numberish,
    "QuickTime:PreferredVolume": _numberish,
    "QuickTime:MatrixStructure": _numberish,
    "QuickTime:PreviewTime": _numberish,
    "QuickTime:PreviewDuration": _numberish,
    "QuickTime:PosterTime": _numberish,
    "QuickTime:SelectionTime": _numberish,
    "QuickTime:SelectionDuration": _numberish,
    "QuickTime:CurrentTime": _numberish,
    "QuickTime:NextTrackID": _numberish,
    # The 'hdlr' of the (empty) movie-level meta box ffmpeg writes.
    "QuickTime:HandlerType": _one_of("Metadata"),
    "QuickTime:HandlerVendorID": _one_of("Apple"),
}
# Per track ("Track1:", "Track2:" ... are folded to "Track:").
_QT_TRACK: dict[str, Check] = (
    {
        f"Track:{k}": _numberish
        for k in (
            "TrackHeaderVersion",
            "TrackID",
            "TrackDuration",
            "TrackLayer",
            "TrackVolume",
            "MatrixStructure",
            "ImageWidth",
            "ImageHeight",
            "MediaHeaderVersion",
            "MediaTimeScale",
            "MediaDuration",
            "SourceImageWidth",
            "SourceImageHeight",
            "XResolution",
            "YResolution",
            "BitDepth",
            "BufferSize",
            "MaxBitrate",
            "AverageBitrate",
            "VideoFrameRate",
            "Balance",
            "AudioChannels",
            "AudioBitsPerSample",
            "AudioSampleRate",
            "PixelAspectRatio",
            "OpColor",
        )
    }
    | {
        "Track:TrackCreateDate": _zero_date,
        "Track:TrackModifyDate": _zero_date,
        "Track:MediaCreateDate": _zero_date,
        "Track:MediaModifyDate": _zero_date,
        "Track:MediaLanguageCode": _one_of("und"),
        "Track:HandlerType": _one_of("Video Track", "Audio Track"),
        "Track:HandlerDescription": _one_of("VideoHandler", "SoundHandler"),
        "Track:GraphicsMode": _any,
        "Track:CompressorID": _one_of("avc1", "hev1", "hvc1", "mp4v", "vp09", "av01"),
        "Track:CompressorName": _unversioned_lavc,
        "Track:AudioFormat": _one_of("mp4a", "Opus", "fLaC", ".mp3"),
        "Track:ColorRepresentation": _any,
        "Track:ColorPrimaries": _any,
        "Track:TransferCharacteristics": _any,
        "Track:MatrixCoefficients": _any,
        "Track:VideoFullRangeFlag": _any,
        "Track:CleanApertureDimensions": _any,
        "Track:ProductionApertureDimensions": _any,
        "Track:EncodedPixelsDimensions": _any,
    }
    | {
        f"Track:{k}": _binary
        for k in (
            "Unknown_edts",
            "Unknown_esds",
            "Unknown_btrt",
            "AVCConfiguration",
            "HEVCConfiguration",
            "TimeToSampleTable",
            "SampleToChunk",
            "SampleSizes",
            "ChunkOffset",
            "ChunkOffset64",
            "SyncSampleTable",
            "SampleGroupDescription",
            "SampleToGroup",
            "CompositionTimeToSample",
            "CompositionToDecodeTimelineMapping",
            "SampleDependencyType",
        )
    }
)
_MATROSKA: dict[str, Check] = (
    {
        f"Matroska:{k}": _any
        for k in (
            "EBMLVersion",
            "EBMLReadVersion",
            "EBMLMaxIDLength",
            "EBMLMaxSizeLength",
            "DocType",
            "DocTypeVersion",
            "DocTypeReadVersion",
            "SeekID",
            "SeekPosition",
            "TimecodeScale",
            "Duration",
            "CueTime",
            "CueTrack",
            "CueClusterPosition",
            "Matroska_0x0070",  # CueRelativePosition, unnamed in exiftool 12.57
            "TagTrackUID",
        )
    }
    | {
        "Matroska:MuxingApp": _one_of("Lavf"),
        "Matroska:WritingApp": _one_of("Lavf"),
        "Matroska:Encoder": _unversioned_lavc,
    }
    | {
        f"Track:{k}": _any
        for k in (
            "TrackNumber",
            "TrackUID",
            "TrackLacing",
            "TrackDefault",
            "CodecID",
            "TrackType",
            "VideoScanType",
            "CodecPrivate",
            "Matroska_0x16aa",  # CodecDelay
            "Matroska_0x16bb",  # SeekPreRoll
        )
    }
    | {"Track:TrackLanguage": _one_of("und")}
)

ALLOWED: dict[str, Check] = (
    _COMMON | _JPEG | _PNG | _WEBP | _WAV | _MP3 | _PDF | _QT_MOVIE | _QT_TRACK | _MATROSKA
)
_TRACK = re.compile(r"^Track\d+:")
# Groups and tags worth naming as such in a finding.
_REASONS = (
    (re.compile(r"GPS|Location|Coordinates|Latitude|Longitude", re.I), "location"),
    (re.compile(r"Date|Time", re.I), "a date or time"),
    (re.compile(r"Make|Model|Serial|Lens|Owner|Camera", re.I), "the device"),
    (re.compile(r"Author|Creator|Artist|Copyright|By-line|Owner|Contact", re.I), "a person"),
    (re.compile(r"Software|Producer|Encoder|Application|Tool|Writing|Muxing", re.I), "software"),
    (re.compile(r"Thumbnail|Preview|Picture", re.I), "an embedded picture"),
)


def allowed(key: str, value: Any) -> bool:
    """Whether exiftool's `key` ("Group:Tag") with `value` is harmless structure."""
    check = ALLOWED.get(_TRACK.sub("Track:", key))
    return check is not None and check(value)


def shorten(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(key: str, value: Any) -> str:
    """Plain words for a finding about tag `key`."""
    tag = key.split(":", 1)[-1]
    why = next((w for rx, w in _REASONS if rx.search(tag)), None)
    head = f"{tag} ({why})" if why else f"tag {tag}"
    return f"{head}: {shorten(value)}"


def read_tags(path: Path) -> dict[str, Any]:
    """Every tag exiftool reports for `path`, keyed "Group:Tag" (System tags left out: they
    describe our copy on disk, not the file)."""
    from sijill.tools.exiftool import exiftool

    return exiftool().metadata(path, ("-api", "largefilesupport=1"))


def tag_values(tags: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, text) for every tag value, lists flattened, for the term search."""
    out: list[tuple[str, str]] = []
    for k, v in tags.items():
        vals = v if isinstance(v, list) else [v]
        for item in vals:
            if isinstance(item, str | int | float):
                out.append((k, str(item)))
            elif item is not None:
                out.append((k, repr(item)))
    return out
