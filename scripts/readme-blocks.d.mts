export interface ReadmeBlock {
  /** The headings above the block, outermost first. */
  headings: string[];
  lang: string;
  text: string;
  /** 1-based line of the opening fence. */
  line: number;
}

export interface ReadmeCommand {
  command: string;
  /** The comment after the command on its line, without its "# ". */
  comment: string;
}

export const SHELL_LANGUAGES: readonly string[];
export function readmeBlocks(markdown: string): ReadmeBlock[];
export function blocksUnder(markdown: string, heading: string, languages?: readonly string[]): ReadmeBlock[];
export function commandsOf(block: Pick<ReadmeBlock, "text">): ReadmeCommand[];
