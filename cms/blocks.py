"""StreamField blocks for the public pages.

One `StoryStreamBlock` (text, pictures, video) serves news and offer pages alike; an offer page
adds what an offer document needs: questions and answers, risk warnings and the documents
themselves. Each block renders with its own template in templates/cms/blocks/.
"""

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock, ImageChooserBlock

TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageBlock()
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "cms/blocks/captioned_image.html"


class VideoBlock(blocks.StructBlock):
    """A video from YouTube, Vimeo and the like. If the embed cannot be fetched the page links to
    the video instead of leaving a hole."""

    video = EmbedBlock(help_text="The address of the video, e.g. https://www.youtube.com/watch?v=…")
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "media"
        template = "cms/blocks/video.html"


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=250)
    answer = blocks.RichTextBlock(features=TEXT_FEATURES)


class FaqBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Questions and answers", max_length=120)
    questions = blocks.ListBlock(QuestionBlock())

    class Meta:
        icon = "help"
        template = "cms/blocks/faq.html"


class RiskWarningBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Your capital is at risk", max_length=120)
    text = blocks.RichTextBlock(features=TEXT_FEATURES)

    class Meta:
        icon = "warning"
        template = "cms/blocks/risk_warning.html"


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock()
    description = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "doc-full"
        template = "cms/blocks/document.html"


class TeamMemberBlock(blocks.StructBlock):
    name = blocks.CharBlock(max_length=120)
    role = blocks.CharBlock(max_length=120, help_text="e.g. Director, Treasurer, Volunteer.")
    photo = ImageChooserBlock(required=False)

    class Meta:
        icon = "user"
        template = "cms/blocks/team_member.html"


class StoryStreamBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(features=TEXT_FEATURES, template="cms/blocks/text.html")
    image = CaptionedImageBlock()
    video = VideoBlock()


class OfferBodyBlock(StoryStreamBlock):
    faq = FaqBlock()
    risk_warning = RiskWarningBlock()
    offer_document = DocumentLinkBlock(label="Offer document")
