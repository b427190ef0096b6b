"""`--image` parsing: an image is named by digest, never by tag.

A tag can move to other bytes at any time; promote must ship the bytes that ran on staging, and
ECS resolves a tag again for every task it starts. So launchdeck takes
`<registry>/<repository>@sha256:<64 hex>` (or a bare `sha256:<64 hex>`) and only the digest
reaches the stacks: every service runs it from its own repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from launchdeck.drivers.aws.errors import ImageByTag, InvalidImage

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
EXPECTED = "<registry>/<repository>@sha256:<64 hex digits>"
EXAMPLE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/launchdeck/shop/web@sha256:<digest>"
GIVE = f"give the image as {EXPECTED}"


@dataclass(frozen=True)
class ImageRef:
    digest: str  # sha256:<64 hex>
    registry: str = ""  # empty for a bare digest
    repository: str = ""

    def __str__(self) -> str:
        if not self.repository:
            return self.digest
        return f"{self.registry}/{self.repository}@{self.digest}"


def parse_image(text: str) -> ImageRef:
    """`<registry>/<repository>@sha256:<64 hex>` or `sha256:<64 hex>`, else InvalidImage."""
    text = text.strip()
    if not text:
        raise InvalidImage("--image is empty", GIVE)
    if text.startswith("sha256:"):
        return ImageRef(digest=_digest(text, text))
    name, at, digest = text.partition("@")
    if not at:
        raise _tag_error(text)
    registry, slash, repository = name.partition("/")
    if not slash or not _is_registry(registry):
        raise InvalidImage(f"--image {text!r} names no registry", f"{GIVE}, e.g. {EXAMPLE}")
    repository = _drop_tag(repository)  # repo:tag@sha256:... pins the digest; the tag is noise
    if not repository:
        raise InvalidImage(f"--image {text!r} names no repository", GIVE)
    return ImageRef(digest=_digest(digest, text), registry=registry, repository=repository)


def _digest(digest: str, text: str) -> str:
    if DIGEST.fullmatch(digest):
        return digest
    algorithm, _, hexpart = digest.partition(":")
    if algorithm != "sha256":
        problem = f"uses {algorithm or 'no algorithm'!r}; launchdeck takes sha256 digests"
    else:
        problem = f"has {len(hexpart)} characters after sha256:, not 64 lowercase hex digits"
    raise InvalidImage(f"--image {text!r}: the digest {problem}", GIVE)


def _tag_error(text: str) -> ImageByTag:
    name, tag = _split_tag(text)
    shown = f"{name}:{tag}" if tag else name
    repository = name.partition("/")[2] if _is_registry(name.partition("/")[0]) else name
    image_id = f"imageTag={tag}" if tag else "imageTag=latest"
    return ImageByTag(
        f"--image {text!r} names a tag, not a digest; launchdeck deploys images by digest only.\n"
        "A tag can move to other bytes at any time: promote must ship the exact bytes that ran "
        "on staging, and ECS may resolve a tag differently for each task it starts.",
        f"{GIVE}, e.g. {EXAMPLE}\n"
        "Get the digest with:\n"
        f"  docker buildx imagetools inspect {shown}    (the Digest: line)\n"
        f"  aws ecr describe-images --repository-name {repository} --image-ids {image_id} "
        "--query 'imageDetails[0].imageDigest'",
    )


def _split_tag(name: str) -> tuple[str, str]:
    """("registry:5000/repo", "v1") from "registry:5000/repo:v1"; a port is not a tag."""
    head, sep, last = name.rpartition("/")
    repo, colon, tag = last.partition(":")
    return (f"{head}{sep}{repo}", tag) if colon else (name, "")


def _drop_tag(repository: str) -> str:
    return _split_tag(repository)[0]


def _is_registry(component: str) -> bool:
    # Docker's rule: the first path component is a registry when it looks like a host.
    return "." in component or ":" in component or component == "localhost"
