# Roundbook production image: gunicorn (web), Celery worker and beat share it.
# Two stages: dependencies are built into a virtualenv, then copied alone into a
# slim runtime with the source, static files collected, running as a non-root user.
ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
# Only the dependency list: this layer is rebuilt when pyproject.toml changes,
# not on every source edit. The project itself runs from /app, uninstalled.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install --requirement requirements.txt

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    PORT=8000
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent roundbook \
 && install --directory --owner roundbook --group roundbook /var/lib/roundbook \
    /var/lib/roundbook/imports
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Source owned by root: the app user can read it, never change it.
COPY . .
# The settings refuse to start without a strong key; this one lives for this step only.
RUN DEBUG=False SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    python manage.py collectstatic --no-input --verbosity 0
USER roundbook
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
