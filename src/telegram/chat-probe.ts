import { GrammyError, type Api } from 'grammy';
import type { ChatProbeResult } from '../schedules/index.js';

/**
 * Whether the bot is in a chat, for a schedule's target (`ScheduleServiceDeps.probeChat`, filled by
 * the composition root with the tenant's bot): `getChatMember` of the bot itself. Telegram saying
 * the chat does not exist for the bot, or that the bot left or was removed, is `not_member`; a
 * network failure or any other answer is `unknown` (the schedule is not refused for it).
 */
export async function probeBotInChat(api: Api, botId: number, chatId: number): Promise<ChatProbeResult> {
  try {
    const member = await api.getChatMember(chatId, botId);
    if (member.status === 'left' || member.status === 'kicked') return 'not_member';
    if (member.status === 'restricted' && !member.is_member) return 'not_member';
    return 'ok';
  } catch (err) {
    if (
      err instanceof GrammyError &&
      ((err.error_code === 400 && /chat not found|member not found|user not found/i.test(err.description)) ||
        (err.error_code === 403 && /not a member|kicked|blocked/i.test(err.description)))
    ) {
      return 'not_member';
    }
    return 'unknown';
  }
}
