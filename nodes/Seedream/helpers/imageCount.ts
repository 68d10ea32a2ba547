/**
 * Max Images (`n`) is only a ceiling: the service makes as many images as the PROMPT asks for, one when it
 * names no number (docs/evolink-api.md §2, §9). So the node offers two honest ways to get n images:
 * - `askInPrompt`: add a short, visible instruction to the prompt, unless the prompt already asks for a number;
 * - `exactly`: n tasks of one image each.
 * `asWritten` sends the prompt as it is (up to n images, as many as it asks for).
 */

export const IMAGES_MODES = ['askInPrompt', 'exactly', 'asWritten'] as const;
export type ImagesMode = (typeof IMAGES_MODES)[number];

/** How an item's images are asked for; absent when Max Images is 1. */
export interface ImagesPlan {
	mode: ImagesMode;
	maxImages: number;
	/** Tasks to create: Max Images in `exactly`, else 1. */
	tasks: number;
}

/** The sentence added to the prompt in `askInPrompt`. */
export function countInstruction(n: number | string): string {
	return `Generate a set of ${n} separate images.`;
}

const NUMBER_WORDS = [
	'two',
	'three',
	'four',
	'five',
	'six',
	'seven',
	'eight',
	'nine',
	'ten',
	'eleven',
	'twelve',
	'thirteen',
	'fourteen',
	'fifteen',
];
const PICTURE_NOUNS =
	'images?|pictures?|photos?|photographs?|illustrations?|drawings?|paintings?|renders?|variations?|versions?|variants?|options?|shots?|frames?|panels?|posters?|icons?|logos?|designs?|scenes?|views?|portraits?|sketches?|stickers?|cards?|postcards?|wallpapers?';
const NUMBER = `(?:\\d{1,2}|one|a single|${NUMBER_WORDS.join('|')}|a (?:pair|couple) of|several|multiple)`;

/**
 * The node's own reading of whether a prompt already asks for a number of images (English only), used to
 * decide whether to add the instruction. It is deliberately broad, because adding a second, different
 * count to a prompt that has one (even "one image") would contradict it:
 * - a number (digits, one..fifteen in words, "a single", "a pair of", "several", "multiple") followed within
 *   three words by a picture noun (images, photos, variations, versions, shots, panels, posters...): "4 different
 *   images", "three watercolor postcards";
 * - "a set of", "a series of", "a sequence of", "a collection of", "a batch of" or "a grid of";
 * - a count in Chinese: a number followed by 张 or 幅 (the measure words for pictures).
 */
export function promptAsksForCount(prompt: string): boolean {
	const text = prompt.toLowerCase();
	const numbered = new RegExp(
		`\\b${NUMBER}\\s+(?:[\\p{L}-]+\\s+){0,3}?(?:${PICTURE_NOUNS})\\b`,
		'u',
	);
	if (numbered.test(text)) return true;
	if (/\b(?:set|series|sequence|collection|batch|grid)\s+of\b/.test(text)) return true;
	return /[0-9一二两三四五六七八九十]+\s*[张幅]/.test(prompt);
}

/** The prompt to send in `askInPrompt`: the user's, plus the instruction when it names no count. */
export function promptAskingFor(prompt: string, n: number): string {
	if (n <= 1 || promptAsksForCount(prompt)) return prompt;
	const trimmed = prompt.trimEnd();
	return `${trimmed}${/[.!?。！？]$/u.test(trimmed) ? '' : '.'} ${countInstruction(n)}`;
}

/**
 * What an output says when fewer images came than Max Images, or undefined when all came. Outside `exactly`
 * the count is the service's reading of the prompt, which the node can only ask for, never set.
 */
export function imagesMadeNote(
	made: number,
	maxImages: number,
	mode: ImagesMode,
): string | undefined {
	if (made >= maxImages) return undefined;
	const why =
		mode === 'exactly'
			? 'the other tasks failed (see their error items)'
			: mode === 'askInPrompt'
				? 'the service decides how many images a prompt gets, even when asked in the prompt; for exactly that many, choose How to Get Several Images > Exactly N'
				: 'the service makes as many images as the prompt asks for (Max Images is a ceiling); choose How to Get Several Images > Ask for Them in the Prompt or Exactly N';
	return `${made} of ${maxImages} images (Max Images) came back: ${why}. Credits are charged for the images made only.`;
}
