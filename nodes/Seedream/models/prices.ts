/**
 * What a task costs, as data beside the model tables: credits per image the service reserves at submission
 * (for `n` images) and settles on the images made (docs/evolink-api.md §2). EvoLink publishes no price list
 * for the API, so every figure here says where it comes from and whether it is verified as a price.
 */

export interface ModelPrice {
	/** Credits per image. */
	perImage: number;
	/** Credits per task that uses web search, on top (5.0 Lite's `model_params.tools`). */
	webSearchPerTask?: number;
	/** How many images are reserved whatever is asked (layerize reserves for its maximum). */
	reserveImages?: number;
	/** Whether the figure is a documented price; if not, `note` says what it rests on. */
	verified: boolean;
	note: string;
}

export const PRICES: Readonly<Record<string, ModelPrice>> = {
	'doubao-seedream-4.0': {
		perImage: 1.8,
		verified: false,
		note: 'Unverified: 1.8 is the reservation in the documented example for one image (docs/evolink-api.md §2, §9), not a published price.',
	},
	'doubao-seedream-4.5': {
		perImage: 1.8,
		verified: false,
		note: 'Unverified: no price is documented for 4.5; taken as 4.0’s 1.8 (docs/evolink-api.md §9).',
	},
	'doubao-seedream-5.0-lite': {
		perImage: 2.2,
		webSearchPerTask: 0.5,
		verified: false,
		note: '2.2 per image is EvoLink’s product page figure (docs/evolink-seedream-5.md §2); web search is charged per task on top, 0.04 or 0.5 by that page’s copies (unverified: 0.5 is counted).',
	},
	'doubao-seedream-5.0-pro': {
		perImage: 2.304,
		verified: false,
		note: 'Unverified: no price is published for 5.0 Pro; 2.304 per image is the figure the docs’ layerize example implies (docs/evolink-seedream-5.md §3, §7).',
	},
	'doubao-seedream-5.0-pro-layerize': {
		perImage: 2.304,
		reserveImages: 17,
		verified: false,
		note: 'Unverified: the docs’ example reserves 17 × 2.304 (docs/evolink-seedream-5.md §4, §7) and settles per image made.',
	},
};

export interface CreditEstimate {
	/** Credits reserved when the task is created (what the key's available balance must cover). */
	credits: number;
	perImage: number;
	images: number;
	verified: boolean;
	note: string;
}

/** Credits a create with this body would reserve, or undefined for a model without a known price. */
export function creditsToReserve(body: {
	model: string;
	n?: number;
	model_params?: unknown;
}): CreditEstimate | undefined {
	const price = PRICES[body.model];
	if (!price) return undefined;
	const images = price.reserveImages ?? body.n ?? 1;
	const tools = (body.model_params as { tools?: unknown[] } | undefined)?.tools;
	const search = Array.isArray(tools) && tools.length > 0 ? (price.webSearchPerTask ?? 0) : 0;
	return {
		credits: roundCredits(images * price.perImage + search),
		perImage: price.perImage,
		images,
		verified: price.verified,
		note: price.note,
	};
}

/** Thousandths of a credit (2.304 per image), so 3 × 1.8 is 5.4, not 5.4000000000000004. */
export function roundCredits(credits: number): number {
	return Math.round(credits * 1000) / 1000;
}
