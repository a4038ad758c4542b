/**
 * Imaging: 8-bit grayscale frames → PNG, animated GIF/WebP (sharp) and H.264 MP4 (WebAssembly encoder).
 * A plain library: no Nest imports.
 */
export type { GrayFrame } from './gray-frame';
export { fitSize } from './gray-frame';
export type { PngOptions, WrittenImage } from './png';
export { encodePng, writePng } from './png';
export type { AnimationFormat, AnimationInfo, AnimationOptions, WrittenAnimation } from './animation';
export { ANIMATION_FORMATS, animationFormatAvailable, DEFAULT_ANIMATION_SIZE, readAnimationInfo, writeAnimation } from './animation';
