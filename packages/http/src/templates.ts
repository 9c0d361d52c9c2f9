// Which templates carry the permission component, so a template send is recognised as a permission request.
// The translator learns it from template creations it sees; a new process, or one whose sibling saw the
// creation, reads it from the log (TemplateKnown facts): at start-up, and again when a send names a template it
// does not know, at most every `refreshSeconds` (a template is created, reviewed by Meta, then sent).
import type { Translator } from '@callpermit/cloud-api';
import type { FactStore } from '@callpermit/core';
import { templatesInLog } from '@callpermit/service';

export const DEFAULT_TEMPLATE_REFRESH_SECONDS = 10;

export class TemplateBook {
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly store: FactStore,
    private readonly translator: Translator,
    private readonly refreshSeconds = DEFAULT_TEMPLATE_REFRESH_SECONDS,
  ) {}

  /** Reads every known permission template from the log into the translator. */
  load(): Promise<void> {
    this.reading ??= (async () => {
      try {
        this.translator.knowTemplates(await templatesInLog(this.store));
        this.readAt = performance.now();
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** Makes sure `name` is known if the log knows it (reading the log again at most every refreshSeconds). */
  async ensure(name: string): Promise<void> {
    if (this.translator.templates.has(name)) return;
    if (performance.now() - this.readAt < this.refreshSeconds * 1000) return;
    await this.load();
  }
}
