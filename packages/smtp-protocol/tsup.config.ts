import { defineConfig } from 'tsup';
import { libraryOptions } from '../../tsup.shared.js';

// Root, ./testing, and ./testing/conformance (runSmtpConformance alone: no fast-check needed).
export default defineConfig(libraryOptions(['src/index.ts', 'src/testing/index.ts', 'src/testing/conformance/index.ts']));
