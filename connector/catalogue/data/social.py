"""Data schemas of the ``social`` category: channels, pulses and notes."""

from __future__ import annotations

from connector.catalogue.envelope import OpenSchema, PageSchema
from connector.catalogue.primitives import Count, Flag, Identifier, Items, Object, Text


class ChannelSchema(OpenSchema):
    """A discussion channel of a class."""

    id = Identifier()
    title = Text()
    is_broadcast_only = Flag()
    private_support = Flag()


class PostSchema(OpenSchema):
    """A post that starts a thread in a channel."""

    id = Identifier()
    title = Text()
    content = Text()
    is_facilitator_post = Flag()
    attachment_count = Count()


class ChannelPostCreatedSchema(OpenSchema):
    """``channel.post.created``: someone posted in a channel."""

    channel = Object(ChannelSchema, required=True)
    post = Object(PostSchema, required=True)


class CommentSchema(OpenSchema):
    """A comment on a post."""

    id = Identifier()
    content = Text()
    is_facilitator_post = Flag()


class ChannelCommentCreatedSchema(OpenSchema):
    """``channel.comment.created``: someone commented on a post."""

    channel = Object(ChannelSchema, required=True)
    post_id = Identifier()
    comment = Object(CommentSchema, required=True)


class ReplySchema(OpenSchema):
    """A reply to a comment."""

    id = Identifier()
    content = Text()


class ChannelReplyCreatedSchema(OpenSchema):
    """``channel.reply.created``: someone replied to a comment."""

    channel = Object(ChannelSchema, required=True)
    post_id = Identifier()
    parent_comment_id = Identifier()
    reply = Object(ReplySchema, required=True)


class PulseSchema(OpenSchema):
    """A pulse question; ``instanceId`` tells one asking of it from another."""

    base_id = Identifier()
    instance_id = Text()
    question = Text()
    type = Text()


class ChoiceSchema(OpenSchema):
    """One option of a multiple-choice answer, and whether it was picked."""

    option = Text()
    value = Flag()


class PulseResponseSchema(OpenSchema):
    """A pulse answer; its shape depends on the pulse type, so all is optional."""

    multi_choice_answer = Items(Object(ChoiceSchema, allow_none=False))


class PulseRespondedSchema(OpenSchema):
    """``pulse.responded``: a learner answered a pulse."""

    pulse = Object(PulseSchema, required=True)
    response = Object(PulseResponseSchema, required=True)


class SocialNoteSharedSchema(OpenSchema):
    """``social_note.shared``: a learner shared a note on a page."""

    page = Object(PageSchema, required=True)
    paragraph_id = Text()
    content = Text(required=True)
