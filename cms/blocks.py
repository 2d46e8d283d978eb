"""The one StreamField block library for module bodies."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from cms.viewsets import AssessmentChooserBlock, H5PContentChooserBlock
from courses.h5p import player


class ImageBlock(blocks.StructBlock):
    """An image served in responsive renditions (srcset), with alt text."""

    image = ImageChooserBlock(label=_("image"))
    alt_text = blocks.CharBlock(label=_("alternative text"), max_length=250)
    caption = blocks.CharBlock(label=_("caption"), required=False)

    class Meta:
        icon = "image"
        template = "cms/blocks/image_block.html"


class VideoBlock(blocks.StructBlock):
    """A video from a URL with captions, as an uploaded WebVTT document or a URL."""

    video_url = blocks.URLBlock(label=_("video address"))
    captions_document = DocumentChooserBlock(
        label=_("captions file (WebVTT)"), required=False
    )
    captions_url = blocks.URLBlock(label=_("captions address"), required=False)
    captions_language = blocks.CharBlock(
        label=_("captions language"), default="id", max_length=10
    )
    title = blocks.CharBlock(label=_("title"), required=False)

    class Meta:
        icon = "media"
        template = "cms/blocks/video_block.html"

    def clean(self, value):
        # Captions are required for accessibility: one source or the other.
        result = super().clean(value)
        if not result.get("captions_document") and not result.get("captions_url"):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "captions_url": blocks.BlockValidationError(
                        _("Give captions: upload a WebVTT file or give its address.")
                    )
                }
            )
        return result


class DocumentBlock(blocks.StructBlock):
    """A downloadable document with its label."""

    document = DocumentChooserBlock(label=_("document"))
    label = blocks.CharBlock(label=_("label"), required=False)

    class Meta:
        icon = "doc-full"
        template = "cms/blocks/document_block.html"


class CalloutBlock(blocks.StructBlock):
    """A highlighted note: tip, important or warning."""

    kind = blocks.ChoiceBlock(
        label=_("kind"),
        choices=[
            ("tip", _("Tip")),
            ("important", _("Important")),
            ("warning", _("Warning")),
        ],
        default="tip",
    )
    text = blocks.RichTextBlock(label=_("text"), features=["bold", "italic", "link"])

    class Meta:
        icon = "help"
        template = "cms/blocks/callout_block.html"


class H5PBlock(blocks.StructBlock):
    """An H5P exercise, played in the isolated player frame (courses.h5p.player)."""

    content = H5PContentChooserBlock(label=_("H5P content"))

    class Meta:
        icon = "form"
        template = "cms/blocks/h5p_block.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        content = value.get("content")
        if (
            request is not None
            and content is not None
            and request.user.is_authenticated
        ):
            context.update(player.embed_context(request=request, content=content))
        return context


class AssessmentBlock(blocks.StructBlock):
    """An assessment of the centre: its facts and a link to sit it."""

    assessment = AssessmentChooserBlock(label=_("assessment"))

    class Meta:
        icon = "tasks"
        template = "cms/blocks/assessment_block.html"


class ModuleBodyBlock(blocks.StreamBlock):
    """Everything a module body may hold."""

    paragraph = blocks.RichTextBlock(
        label=_("text"),
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"],
        template="cms/blocks/paragraph_block.html",
    )
    image = ImageBlock(label=_("image"))
    video = VideoBlock(label=_("video"))
    document = DocumentBlock(label=_("document"))
    callout = CalloutBlock(label=_("callout"))
    h5p = H5PBlock(label=_("H5P exercise"))
    assessment = AssessmentBlock(label=_("assessment"))
