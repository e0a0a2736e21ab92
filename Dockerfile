# patlint in a container, for GitLab CI (`image:`), Jenkins (`agent { docker { image … } }`)
# and `docker run`: the released glibc binary on distroless `cc` in its `debug-nonroot`
# variant, which is the C runtime and CA certificates plus busybox (`/busybox/sh` and the
# usual tools, on PATH) and nothing else, run as the unprivileged `nonroot` user.
#
# No ENTRYPOINT (the distroless debug images' default, `/busybox/sh`, is cleared): a CI job's
# script runs in the shell as written, and `docker run IMAGE patlint check` runs patlint.
# GitLab's runner finds `/busybox/sh` itself (gitlab-runner `BashDetectShellScript`).
#
# Built from release archives, one per architecture (scripts/release-local or the release
# workflow): `dist/` must hold patlint-VERSION-x86_64-unknown-linux-gnu.tar.gz for amd64,
# patlint-VERSION-aarch64-unknown-linux-gnu.tar.gz for arm64 (BuildKit sets TARGETARCH):
#   scripts/release-local && docker build -t patlint .
# The unpack stage runs on the build machine's platform, so a multi-platform build needs no
# emulation: the final stage only copies.
FROM --platform=$BUILDPLATFORM debian:12-slim AS unpack
ARG TARGETARCH
COPY dist/ /tmp/dist/
RUN set -eu; \
    case "$TARGETARCH" in \
      amd64) arch=x86_64 ;; \
      arm64) arch=aarch64 ;; \
      *) echo "patlint images are built for amd64 and arm64, not '$TARGETARCH' (build with BuildKit: docker buildx build)" >&2; exit 1 ;; \
    esac; \
    set -- /tmp/dist/patlint-*-"$arch"-unknown-linux-gnu.tar.gz; \
    if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then \
      echo "dist/ must hold exactly one patlint-VERSION-$arch-unknown-linux-gnu.tar.gz (scripts/release-local makes it)" >&2; exit 1; \
    fi; \
    mkdir /out; \
    tar -xzf "$1" -C /out patlint

FROM gcr.io/distroless/cc-debian12:debug-nonroot
COPY --from=unpack /out/patlint /usr/local/bin/patlint
# distroless' `nonroot` user.
USER 65532:65532
WORKDIR /work
ENTRYPOINT []
CMD ["patlint", "--help"]
