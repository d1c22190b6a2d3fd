/** A long operation's progress: one line per step (activities heartbeat it, the CLI prints it). */
export type Progress = (step: string) => void;
