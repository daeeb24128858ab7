/** Every sentence `/schedule` and its buttons answer with (plain text, no parse mode). */
export const scheduleTexts = {
  usage:
    'Usage:\n' +
    '/schedule add <name> [--new-topic] <when> [<time zone>] <prompt…>\n' +
    '  <when>: every 15m | every 2h | every 1d, or 5 cron fields (minute hour day month weekday)\n' +
    '  <time zone>: e.g. Europe/Berlin (default UTC)\n' +
    '  e.g. /schedule add morning 0 9 * * 1-5 Europe/Berlin Summarise last night’s alarms\n' +
    '/schedule list [all] — the schedules posting here (all: every one)\n' +
    '/schedule pause|resume|remove <name>',
  unavailable: 'Schedules are not available here.',
  addProblem: (problem: string): string => `Not added: ${problem}\nSend /schedule for the usage.`,
  generalNeedsNewTopic:
    'This is the General topic: add --new-topic after the name to post the runs in a topic of their own, or send the command in a topic.',
  newTopicNeedsForum: '--new-topic needs a group with Topics: here the runs post in this chat.',
  tooLong: 'The prompt is too long to confirm here: shorten it, or create the schedule through the API.',
  confirm: 'Save this schedule?',
  saved: (next: string): string => `✅ Saved — next run ${next}.`,
  savedSyncFailed: (next: string): string =>
    `✅ Saved — next run ${next}.\n⚠️ Its trigger could not be updated yet: an operator can run "omnicloud schedules sync".`,
  notSaved: (reason: string): string => `❌ Not saved: ${reason}\nSend /schedule add again.`,
  cancelled: 'Cancelled: nothing was saved.',
  // Answers to a button press (answerCallbackQuery: at most 200 characters).
  pressSaving: 'Saved.',
  pressCancelled: 'Cancelled.',
  pressNotSaved: 'Not saved: see the message.',
  pressExpired: 'This request expired: send /schedule add again.',
  pressNotYours: 'Only the person who proposed this schedule, or an approver, can save or cancel it.',
  pressForeign: 'This confirmation belongs to another chat: nothing was changed.',
  unknownName: (name: string, names: string[]): string =>
    names.length === 0
      ? `No schedule named "${name}": this tenant has none yet.`
      : `No schedule named "${name}". Schedules: ${names.join(', ')}`,
  paused: (name: string): string => `⏸ Paused "${name}": it will not run until /schedule resume ${name}.`,
  resumed: (name: string, next: string): string => `▶️ Resumed "${name}" — next run ${next}.`,
  alreadyPaused: (name: string): string => `"${name}" is already paused.`,
  alreadyRunning: (name: string): string => `"${name}" is not paused.`,
  removed: (name: string): string => `🗑 Removed "${name}".`,
  syncFailed: '⚠️ Its trigger could not be updated yet: an operator can run "omnicloud schedules sync".',
  noneHere: 'No schedules post in this chat. /schedule list all shows every one; /schedule add creates one.',
  noneAtAll: 'This tenant has no schedules. /schedule add creates one.',
  listHeader: (count: number, all: boolean): string =>
    `${all ? 'All schedules' : 'Schedules posting in this chat'} (${count}):`,
  failed: 'That did not work: please try again in a moment.',
} as const;
