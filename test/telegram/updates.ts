import type { ChatMember, Update } from 'grammy/types';

/**
 * Update JSON shaped like the Bot API documentation's examples: private messages, messages in
 * forum topics (`message_thread_id` + `is_topic_message`), the General topic, edited messages,
 * photos, `my_chat_member`.
 */
let nextUpdate = 10_000;
let nextMessage = 1;

export const USER = { id: 111, is_bot: false, first_name: 'Ada', username: 'ada', language_code: 'en' };
export const STRANGER = { id: 666, is_bot: false, first_name: 'Eve', username: 'eve' };
export const FORUM = {
  id: -1001234567890,
  title: 'Ops',
  type: 'supergroup' as const,
  is_forum: true as const,
};
export const PLAIN_GROUP = { id: -1009876543210, title: 'Chatter', type: 'supergroup' as const };

type From = typeof USER | typeof STRANGER;

export function updateId(): number {
  return nextUpdate++;
}

function baseMessage(chat: Record<string, unknown>, from: From) {
  return { message_id: nextMessage++, from, chat, date: Math.floor(Date.now() / 1000) };
}

export function privateText(text: string, from: From = USER, id = updateId()): Update {
  const chat = { id: from.id, first_name: from.first_name, username: from.username, type: 'private' };
  return {
    update_id: id,
    message: { ...baseMessage(chat, from), text, ...commandEntity(text) },
  } as unknown as Update;
}

export function topicText(threadId: number, text: string, from: From = USER, id = updateId()): Update {
  return {
    update_id: id,
    message: {
      ...baseMessage(FORUM, from),
      message_thread_id: threadId,
      is_topic_message: true,
      text,
      ...commandEntity(text),
    },
  } as unknown as Update;
}

export function generalText(text: string, from: From = USER, id = updateId()): Update {
  return {
    update_id: id,
    message: { ...baseMessage(FORUM, from), text, ...commandEntity(text) },
  } as unknown as Update;
}

export function groupText(text: string, from: From = USER, id = updateId()): Update {
  return {
    update_id: id,
    message: { ...baseMessage(PLAIN_GROUP, from), text, ...commandEntity(text) },
  } as unknown as Update;
}

export function privatePhoto(from: From = USER, caption?: string): Update {
  const chat = { id: from.id, first_name: from.first_name, type: 'private' };
  return {
    update_id: updateId(),
    message: {
      ...baseMessage(chat, from),
      photo: [
        { file_id: 'AgADBAADbKkxG', file_unique_id: 'AQADbKkxGw', file_size: 1254, width: 90, height: 67 },
        { file_id: 'AgADBAADbKkxH', file_unique_id: 'AQADbKkxGx', file_size: 42410, width: 800, height: 600 },
      ],
      ...(caption ? { caption } : {}),
    },
  } as unknown as Update;
}

export function editedPrivateText(text: string, from: From = USER): Update {
  const chat = { id: from.id, first_name: from.first_name, type: 'private' };
  const date = Math.floor(Date.now() / 1000);
  return {
    update_id: updateId(),
    edited_message: { ...baseMessage(chat, from), date: date - 60, edit_date: date, text },
  } as unknown as Update;
}

export function topicCreatedService(threadId: number): Update {
  return {
    update_id: updateId(),
    message: {
      ...baseMessage(FORUM, USER),
      message_thread_id: threadId,
      is_topic_message: true,
      forum_topic_created: { name: 'Topic', icon_color: 7322096 },
    },
  } as unknown as Update;
}

/** The bot's own membership changed in `chat` (added by `from`). */
export function botAdded(
  chat: typeof FORUM | typeof PLAIN_GROUP,
  botId: number,
  from: From,
  member: Partial<ChatMember> & { status: ChatMember['status'] } = { status: 'member' },
): Update {
  const bot = { id: botId, is_bot: true, first_name: 'OmniCloud Test Bot', username: 'omni_test_bot' };
  return {
    update_id: updateId(),
    my_chat_member: {
      chat,
      from,
      date: Math.floor(Date.now() / 1000),
      old_chat_member: { user: bot, status: 'left' },
      new_chat_member: { user: bot, ...member },
    },
  } as unknown as Update;
}

export const ADMIN_WITH_TOPICS = {
  status: 'administrator' as const,
  can_be_edited: false,
  is_anonymous: false,
  can_manage_chat: true,
  can_delete_messages: true,
  can_manage_video_chats: false,
  can_restrict_members: false,
  can_promote_members: false,
  can_change_info: false,
  can_invite_users: true,
  can_post_stories: false,
  can_edit_stories: false,
  can_delete_stories: false,
  can_pin_messages: true,
  can_manage_topics: true,
};

function commandEntity(text: string): Record<string, unknown> {
  const match = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  return match ? { entities: [{ offset: 0, length: match[0].length, type: 'bot_command' }] } : {};
}

/** A press of a button on the bot's message in `thread` of the forum (or in the user's private chat). */
export function press(
  data: string,
  where: { thread?: number } = {},
  from: typeof USER | typeof STRANGER = USER,
  id = updateId(),
): Update {
  const chat =
    where.thread === undefined ? { id: from.id, first_name: from.first_name, type: 'private' } : FORUM;
  return {
    update_id: id,
    callback_query: {
      id: `cb-${id}`,
      from,
      chat_instance: '-4242',
      data,
      message: {
        message_id: 900,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: { id: 123456, is_bot: true, first_name: 'OmniCloud Test Bot', username: 'omni_test_bot' },
        text: 'Working…',
        ...(where.thread === undefined ? {} : { message_thread_id: where.thread, is_topic_message: true }),
      },
    },
  } as unknown as Update;
}

/** A private photo message from registered file ids (`FakeTelegramApi.addFile`), largest size last. */
export function privatePhotoOf(
  sizes: Array<{ fileId: string; fileUniqueId: string; size: number; width: number }>,
  options: { caption?: string; mediaGroupId?: string; messageId?: number; from?: From; id?: number } = {},
): Update {
  const from = options.from ?? USER;
  const chat = { id: from.id, first_name: from.first_name, type: 'private' };
  return {
    update_id: options.id ?? updateId(),
    message: {
      ...baseMessage(chat, from),
      ...(options.messageId !== undefined ? { message_id: options.messageId } : {}),
      photo: sizes.map((s) => ({
        file_id: s.fileId,
        file_unique_id: s.fileUniqueId,
        file_size: s.size,
        width: s.width,
        height: Math.round((s.width * 3) / 4),
      })),
      ...(options.caption !== undefined ? { caption: options.caption } : {}),
      ...(options.mediaGroupId !== undefined ? { media_group_id: options.mediaGroupId } : {}),
    },
  } as unknown as Update;
}

/** A private document message (`file_name`, `mime_type` as the client claims them). */
export function privateDocument(
  file: { fileId: string; fileUniqueId: string; size: number },
  options: { name?: string; mime?: string; caption?: string; from?: From } = {},
): Update {
  const from = options.from ?? USER;
  const chat = { id: from.id, first_name: from.first_name, type: 'private' };
  return {
    update_id: updateId(),
    message: {
      ...baseMessage(chat, from),
      document: {
        file_id: file.fileId,
        file_unique_id: file.fileUniqueId,
        file_size: file.size,
        ...(options.name !== undefined ? { file_name: options.name } : {}),
        ...(options.mime !== undefined ? { mime_type: options.mime } : {}),
      },
      ...(options.caption !== undefined ? { caption: options.caption } : {}),
    },
  } as unknown as Update;
}

/** A private message of a kind the bot does not take yet (`voice`, `sticker`, `location`…). */
export function privateOther(field: string, value: unknown, from: From = USER): Update {
  const chat = { id: from.id, first_name: from.first_name, type: 'private' };
  return {
    update_id: updateId(),
    message: { ...baseMessage(chat, from), [field]: value },
  } as unknown as Update;
}
