// Kept in step with package.json's version by hand (the package ships no JSON import).
export const version = "1.0.0"
