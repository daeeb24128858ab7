import { el } from './dom.js';
import { formatSize } from './result.js';

/**
 * Files to send with the next message: added by the labelled file input or by dropping them on the
 * conversation, listed as chips with a remove button each. The API checks the tenant's limits
 * (kinds, size, count) and its 4xx message is shown; nothing is checked twice here.
 */
export class FileTray {
  private files: File[] = [];

  constructor(
    private readonly chips: HTMLUListElement,
    private readonly announce: (text: string) => void,
  ) {}

  /** Adds files to the tray (`announce`: say so in the status line). */
  add(files: Iterable<File>, announce = true): void {
    const added = [...files];
    if (added.length === 0) return;
    this.files.push(...added);
    this.render();
    if (announce) this.announce(`Attached ${added.map((f) => f.name).join(', ')}.`);
  }

  /** The files for the message being sent; the tray is empty afterwards. */
  take(): File[] {
    const taken = this.files;
    this.files = [];
    this.render();
    return taken;
  }

  /** Lets files be dropped anywhere on `zone` (highlighted while something is dragged over it). */
  acceptDrops(zone: HTMLElement): void {
    zone.addEventListener('dragover', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      zone.classList.add('dropping');
    });
    zone.addEventListener('dragleave', (e) => {
      if (e.target === zone) zone.classList.remove('dropping');
    });
    zone.addEventListener('drop', (e) => {
      zone.classList.remove('dropping');
      const files = e.dataTransfer?.files;
      if (!files || files.length === 0) return;
      e.preventDefault();
      this.add(files);
    });
  }

  private render(): void {
    this.chips.replaceChildren(
      ...this.files.map((file, index) => {
        const remove = el(
          'button',
          { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${file.name}` },
          '×',
        );
        remove.addEventListener('click', () => {
          this.files.splice(index, 1);
          this.render();
          this.announce(`Removed ${file.name}.`);
          document.querySelector<HTMLElement>('#message')?.focus();
        });
        return el('li', { class: 'chip' }, `📎 ${file.name} (${formatSize(file.size)}) `, remove);
      }),
    );
  }
}
