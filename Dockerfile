# patlint in a container, for GitLab `image:` and Jenkins: the released glibc binary on a
# distroless base that has CA certificates and nothing else (no shell, no package manager).
# Build it from a release archive made by scripts/release-local or the release workflow:
#   docker build --build-arg ARCHIVE=dist/patlint-0.1.0-x86_64-unknown-linux-gnu.tar.gz -t patlint .
# (Rust's musl standard library cannot be installed on every build machine; the glibc
# binary needs only the C runtime that distroless `cc` carries.)
FROM debian:12-slim AS unpack
ARG ARCHIVE
COPY ${ARCHIVE} /tmp/patlint.tar.gz
RUN mkdir /out && tar -xzf /tmp/patlint.tar.gz -C /out patlint

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=unpack /out/patlint /usr/local/bin/patlint
# distroless' `nonroot` user.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/patlint"]
CMD ["--help"]
