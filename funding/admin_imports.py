"""Admin for imports: runs with their progress and rejected rows, uploads, scheduled sources."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import get_valid_filename

from funding.imports import import_run_create, import_source_start
from funding.models import ImportFormat, ImportRowError, ImportRun, ImportSource
from funding.tasks import import_run_enqueue

ERRORS_SHOWN = 50


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or JSON Lines, or a .zip / .tar.gz of a Crunchbase bulk export."
    )
    format = forms.ChoiceField(choices=ImportFormat.choices, required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.IMPORT_MAX_BYTES:,} bytes."
            )
        return upload


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    list_display = [
        "id",
        "created_at",
        "status",
        "format",
        "location",
        "progress",
        "created",
        "updated",
        "unchanged",
        "failed",
        "trigger",
        "started_by",
    ]
    list_filter = ["status", "format", "trigger"]
    list_select_related = ["started_by"]
    readonly_fields = [f.name for f in ImportRun._meta.fields] + ["progress", "rejected_rows"]
    change_list_template = "admin/funding/importrun/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="progress")
    def progress(self, obj: ImportRun) -> str:
        if obj.status == ImportRun.Status.QUEUED:
            return "reading the file"
        return f"{obj.chunks_done} of {obj.chunks_total} chunks ({obj.rows_total} rows)"

    @admin.display(description="rejected rows and warnings")
    def rejected_rows(self, obj: ImportRun) -> str:
        """The first 50 rejected rows or warnings and a link to all of them: one query."""
        errors = list(obj.row_errors.order_by("line", "id")[:ERRORS_SHOWN])
        if not errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (e.line, "rejected" if e.rejected else "imported, warning", e.reason, e.raw[:300])
                for e in errors
            ),
        )
        link = reverse("admin:funding_importrowerror_changelist") + f"?run__id__exact={obj.pk}"
        return format_html(
            "<table><tr><th>line</th><th>outcome</th><th>reason</th><th>row</th></tr>{}</table>"
            '<p><a href="{}">All of them</a> ({} rejected)</p>',
            rows,
            link,
            obj.failed,
        )

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="funding_importrun_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("funding.add_fundinground"):
            messages.error(request, "You need the permission to add funding rounds.")
            return HttpResponseRedirect(reverse("admin:funding_importrun_changelist"))
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            folder = Path(settings.IMPORT_UPLOAD_DIR)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{uuid.uuid4().hex}-{get_valid_filename(upload.name)[-100:]}"
            with target.open("wb") as out:
                for block in upload.chunks():
                    out.write(block)
            with transaction.atomic():
                run = import_run_create(
                    location=str(target),
                    trigger=ImportRun.Trigger.UPLOAD,
                    format_name=form.cleaned_data["format"],
                    started_by=request.user,
                )
                import_run_enqueue(run_id=run.pk)
            messages.success(request, f"Import #{run.pk} started.")
            return HttpResponseRedirect(reverse("admin:funding_importrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a file of rounds",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/funding/importrun/upload.html", context)


@admin.register(ImportRowError)
class ImportRowErrorAdmin(admin.ModelAdmin[ImportRowError]):
    list_display = ["run", "line", "rejected", "reason", "raw"]
    list_filter = ["rejected", "run"]
    raw_id_fields = ["run"]
    readonly_fields = ["run", "line", "rejected", "reasons", "raw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ImportSource)
class ImportSourceAdmin(admin.ModelAdmin[ImportSource]):
    list_display = ["name", "url", "format", "enabled", "every_minutes", "next_run_at"]
    list_filter = ["enabled", "format"]
    actions = ["run_now"]

    @admin.action(description="Run now", permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[ImportSource]) -> None:
        for source in queryset:
            with transaction.atomic():
                run = import_source_start(
                    source=source, trigger=ImportRun.Trigger.ADMIN, started_by=request.user
                )
                import_run_enqueue(run_id=run.pk)
        self.message_user(request, f"Started {queryset.count()} import(s).")
