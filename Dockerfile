# One image for every service of the chain; the command picks the service (`keten ...`).
FROM python:3.11-slim AS build
WORKDIR /src
COPY dev/constraints.txt dev/constraints.txt
COPY contracts contracts
COPY pyproject.toml README.md ./
COPY core core
COPY services services
RUN python -m venv /opt/keten \
 && /opt/keten/bin/pip install --no-cache-dir -c dev/constraints.txt ./contracts .

FROM python:3.11-slim
RUN useradd --system --uid 10001 keten
COPY --from=build /opt/keten /opt/keten
ENV PATH=/opt/keten/bin:$PATH PYTHONUNBUFFERED=1
USER 10001
ENTRYPOINT ["keten"]
CMD ["--help"]
