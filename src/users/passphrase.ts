import { randomInt } from 'node:crypto';

// Some 230 short, common words that are easy to read aloud and to type on a school keyboard (no look-alikes).
const WORDS = `
acorn amber anchor apple arrow aspen atlas autumn badge bagel bamboo banjo barley basil beacon beaver berry birch
biscuit blossom bonfire breeze brick bridge bright brook bucket bugle butter button cabin cactus camel candle canoe
canyon carbon carrot castle cedar cello chalk cherry chess cider cinder circle clover cobalt cocoa comet copper coral
cosmos cotton cradle crater crayon cricket crystal cubic daisy delta desert dingo dolphin dragon drum eagle echo
ember engine falcon fern ferry fiddle finch flint forest fossil fox galaxy garden garnet gecko geyser ginger glacier
globe goose granite gravel harbor harvest hazel helium heron hollow honey horizon igloo indigo iris island ivory
jacket jasmine jelly jigsaw jungle kayak kettle kiwi koala ladder lagoon lantern lemon lily lizard lobster locket
lotus lunar magnet mango maple marble meadow melon meteor mint mirror monsoon moose mosaic nebula needle nickel
noodle nutmeg oasis ocean olive onyx orbit orchid otter owl oyster paddle panda papaya parrot pebble pepper
petal piano pickle pilot pine planet plum pocket polar poppy prism puffin pulsar quartz quasar quill rabbit radar
radish rainbow raven reef ribbon river robin rocket rover saddle saffron salmon sandal satin saturn scarf shell
sierra silver sketch sledge solar sparrow spiral spruce squid star stone sugar summit sunset swan tango tiger
timber tomato topaz torch tulip tundra turnip tusk umbra valley velvet violet volcano waffle walnut walrus willow
window winter wizard yarrow yodel zebra zenith zephyr zinnia
`.trim().split(/\s+/);

/**
 * A generated password that a student can read off a login card: three words and a number, e.g. "comet-maple-
 * river-482" (some 34 bits; logins are throttled, and the user must change it at the first login).
 */
export function generatePassphrase(): string {
  const words = Array.from({ length: 3 }, () => WORDS[randomInt(WORDS.length)]);
  return [...words, String(randomInt(100, 1000))].join('-');
}

export const PASSPHRASE_WORD_COUNT = WORDS.length;
