/**
 * Undo actions for the registrations one device makes while it is being created, so that a
 * device whose `create` fails halfway (a port range that overlaps, a second interrupt controller)
 * leaves the motherboard exactly as it was. The buses record into the journal that
 * `Motherboard.add` installs for the duration of a `create` call.
 */
export class RegistrationJournal {
  private readonly undos: (() => void)[] = [];

  /** Records how to undo one registration. */
  record(undo: () => void): void {
    this.undos.push(undo);
  }

  /** Undoes every recorded registration, newest first. */
  rollback(): void {
    for (let i = this.undos.length - 1; i >= 0; i--) this.undos[i]!();
    this.undos.length = 0;
  }
}
